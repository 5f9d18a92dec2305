namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// Every system test in one collection, so they run one after another: each starts silos that train on the
/// machine's two cores, and parallel runs would turn timing-based waits into flakes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SystemCollection
{
    public const string Name = "system";
}
