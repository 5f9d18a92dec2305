using Lora.Silo.Configuration;

namespace Lora.Deploy.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Defaults_parse() => Assert.Equal("builtin-tiny", SiloOptions.Default.BaseModelId);
}
