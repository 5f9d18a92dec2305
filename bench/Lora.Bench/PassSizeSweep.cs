namespace Lora.Bench;

/// <summary>
/// Tokens/s of one executor pass as a function of its rows (one adapter, b × T): shows where a bigger fused pass
/// stops paying (activations leave the caches, large buffers are page-faulted afresh every pass).
/// </summary>
public static class PassSizeSweep
{
    public static Dictionary<string, double> Measure(Training.Model.LlamaForCausalLM model, BenchOptions options, int seqLen, int[] rows)
    {
        var profiler = new PhaseProfiler(model, padId: 0);
        var result = new Dictionary<string, double>();
        foreach (var b in rows)
        {
            var job = SyntheticJobs.Job(0, b, seqLen, options.Rank, model.Config.VocabSize);
            result[$"{b}x{seqLen}"] = Stats.Round(profiler.Profile([job], options.ProfileSteps).TokensPerSecond, 0);
            Log.Info($"sweep {b}x{seqLen}: {result[$"{b}x{seqLen}"]} tokens/s");
        }
        return result;
    }
}
