using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>Median tokens/s of a mode over repetitions; the last losses of its final repetition.</summary>
public sealed record ModeStats(double TokensPerSecond, IReadOnlyList<double> Samples, IReadOnlyList<double> FinalLosses, double MeanPassSize,
    double BusyFraction);

/// <summary>Sequential, fused and big-batch measured side by side: each repetition runs all three in turn
/// (after one warm-up round), so machine drift hits every mode alike.</summary>
public sealed class ThroughputComparison(TrainingEngine engine, PassRecorder passes, BenchOptions options)
{
    /// <summary>The ratios are medians of the per-repetition ratios (<see cref="Stats.PairedRatios"/>).</summary>
    public sealed record Result(ModeStats Sequential, ModeStats Fused, ModeStats BigBatch)
    {
        public IReadOnlyList<double> FusedVsSequentialSamples => Stats.PairedRatios(Fused.Samples, Sequential.Samples);
        public IReadOnlyList<double> FusedVsBigBatchSamples => Stats.PairedRatios(Fused.Samples, BigBatch.Samples);
        public double FusedVsSequential => Stats.Median(FusedVsSequentialSamples);
        public double FusedVsBigBatch => Stats.Median(FusedVsBigBatchSamples);
    }

    public async Task<Result> RunAsync(int seqLen, int steps, string label)
    {
        var vocab = engine.Model.Config.VocabSize;
        var jobs = SyntheticJobs.Jobs(options.Jobs, options.BatchSize, seqLen, options.Rank, vocab);
        var sequential = new SequentialMode(engine, passes);
        var fused = new FusedMode(engine, passes);
        var big = new BigBatchMode(engine, passes);
        var warm = Math.Min(2, steps);
        Log.Info($"{label}: warm-up");
        await sequential.RunAsync(jobs.Take(2).ToArray(), warm);
        await fused.RunAsync(jobs, warm);
        await big.RunAsync(options.Jobs, options.BatchSize, seqLen, options.Rank, warm);

        var runs = new List<ModeResult>[3] { [], [], [] };
        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            runs[0].Add(await sequential.RunAsync(jobs, steps));
            runs[1].Add(await fused.RunAsync(jobs, steps));
            var fusedPasses = passes.Durations;   // the recorder is shared: read before the big batch clears it
            runs[2].Add(await big.RunAsync(options.Jobs, options.BatchSize, seqLen, options.Rank, steps));
            Log.Info($"{label} rep {rep + 1}/{options.Repetitions}: sequential {runs[0][^1].TokensPerSecond:F0}, "
                + $"fused {runs[1][^1].TokensPerSecond:F0}, bigbatch {runs[2][^1].TokensPerSecond:F0} tokens/s; fused mean adapters/pass {runs[1][^1].MeanPassSize:F1}, engine busy {runs[1][^1].BusyFraction:P0}");
            Log.Info($"{label} fused passes (adapters:ms): {fusedPasses}");
        }
        return new Result(Summarize(runs[0]), Summarize(runs[1]), Summarize(runs[2]));
    }

    private static ModeStats Summarize(List<ModeResult> runs)
    {
        var samples = runs.Select(r => r.TokensPerSecond).ToArray();
        return new ModeStats(Stats.Median(samples), samples, runs[^1].FinalLosses,
            Stats.Median(runs.Select(r => r.MeanPassSize)), Stats.Median(runs.Select(r => r.BusyFraction)));
    }
}
