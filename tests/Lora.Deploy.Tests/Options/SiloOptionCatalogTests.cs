using Lora.Silo.Configuration;

namespace Lora.Deploy.Tests.Options;

public sealed class SiloOptionCatalogTests
{
    [Fact]
    public void Switches_and_env_vars_are_unique_and_follow_one_naming_rule()
    {
        Assert.Equal(20, SiloOptions.All.Count);
        Assert.Equal(SiloOptions.All.Count, SiloOptions.All.Select(o => o.Switch).Distinct().Count());
        Assert.Equal(SiloOptions.All.Count, SiloOptions.All.Select(o => o.EnvVar).Distinct().Count());
        Assert.All(SiloOptions.All, o =>
        {
            // --silo-port <-> LORA_SILO_PORT: an operator can derive one from the other.
            Assert.Equal(SiloOptions.EnvPrefix + o.Switch[2..].Replace('-', '_').ToUpperInvariant(), o.EnvVar);
            Assert.False(string.IsNullOrWhiteSpace(o.Description));
        });
    }

    [Fact]
    public void Switch_mappings_cover_every_option_and_point_at_its_configuration_key()
    {
        var mappings = SiloOptions.SwitchMappings;
        Assert.Equal(SiloOptions.All.Count, mappings.Count);
        Assert.All(SiloOptions.All, o => Assert.Equal(o.Key, mappings[o.Switch]));
        Assert.Equal("SILO_PORT", SiloOptions.SiloPortOption.Key);
    }
}
