namespace Lora.Bench;

/// <summary>
/// Placeholder for the Orleans path (grains → silo engine), measured by another engineer. To add it: start a
/// TestCluster / local silo with the same base and jobs, submit the N jobs through the client, time steps×N×tokens,
/// and return tokens/s here; <see cref="ThroughputComparison"/> already reports whatever this returns.
/// </summary>
public static class ClusterMode
{
    public const string Note = "not measured here: the Orleans path (client -> job grains -> silo TrainingEngine) is benchmarked separately; "
        + "implement ClusterMode.MeasureAsync to fill cluster_tokens_per_s.";

    public static Task<double?> MeasureAsync(BenchOptions options) => Task.FromResult<double?>(null);
}
