using Orleans.Runtime;
using Orleans.Storage;

namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>Where an injected write fault strikes: before the write reaches storage, or after it landed (the
/// reply was lost, as when a Redis call times out after the server applied it).</summary>
public enum WriteFault { None, Before, AfterLanding }

/// <summary>
/// The real file storage with writes that fail on demand: the failures Redis produces in production (timeouts,
/// lost replies), placed exactly where a test needs them. Reads and clears pass straight through.
/// </summary>
public sealed class FaultInjectingStorage(IGrainStorage inner) : IGrainStorage
{
    /// <summary>Decides per write (state name, state object) whether and where it fails.</summary>
    public static Func<string, object?, WriteFault>? Decide { get; set; }

    /// <summary>When set, a faulted write is held here first, so a test can act while the grain awaits it.</summary>
    public static WriteStall? Stall { get; set; }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var fault = Decide?.Invoke(stateName, grainState.State) ?? WriteFault.None;
        if (fault != WriteFault.None && Stall is { } stall) await stall.Hold();
        if (fault == WriteFault.Before) throw new TimeoutException($"injected: write of '{stateName}' failed");
        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (fault == WriteFault.AfterLanding) throw new TimeoutException($"injected: write of '{stateName}' landed, reply lost");
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
