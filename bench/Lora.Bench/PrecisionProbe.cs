using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>bf16 frozen base vs the same weights in fp32: fused throughput side by side, and the mean training loss
/// of the same jobs after K fused steps (identical adapter init, data order and hyper-parameters).</summary>
public sealed class PrecisionProbe(TrainingEngine fp32, TrainingEngine bf16, BenchOptions options)
{
    /// <summary>Throughputs are medians; <see cref="Speedup"/> is the median of the per-repetition bf16 ÷ fp32 ratios.</summary>
    public sealed record Result(double Fp32TokensPerSecond, double Bf16TokensPerSecond, double Fp32Loss, double Bf16Loss,
        double MeanAbsJobLossDelta, int Steps, IReadOnlyList<double> SpeedupSamples)
    {
        public double Speedup => Stats.Median(SpeedupSamples);
        public double LossDelta => Bf16Loss - Fp32Loss;
    }

    public async Task<Result> MeasureAsync()
    {
        var vocab = fp32.Model.Config.VocabSize;
        var jobs = SyntheticJobs.Jobs(options.Jobs, options.BatchSize, options.SeqLen, options.Rank, vocab);
        using var fp32Passes = new PassRecorder(fp32);
        using var bf16Passes = new PassRecorder(bf16);
        var f = new FusedMode(fp32, fp32Passes);
        var b = new FusedMode(bf16, bf16Passes);
        await b.RunAsync(jobs, 2);   // warm-up (fp32 is already warm)
        var fs = new List<double>();
        var bs = new List<double>();
        for (int rep = 0; rep < options.Repetitions; rep++)
        {
            fs.Add((await f.RunAsync(jobs, options.Steps)).TokensPerSecond);
            bs.Add((await b.RunAsync(jobs, options.Steps)).TokensPerSecond);
            Log.Info($"bf16 rep {rep + 1}/{options.Repetitions}: fp32 fused {fs[^1]:F0}, bf16 fused {bs[^1]:F0} tokens/s");
        }
        var lf = (await f.RunAsync(jobs, options.PrecisionSteps)).FinalLosses;
        var lb = (await b.RunAsync(jobs, options.PrecisionSteps)).FinalLosses;
        Log.Info($"after {options.PrecisionSteps} steps: fp32 loss {lf.Average():F4}, bf16 loss {lb.Average():F4}");
        return new Result(Stats.Median(fs), Stats.Median(bs), lf.Average(), lb.Average(),
            lf.Zip(lb, (x, y) => Math.Abs(x - y)).Average(), options.PrecisionSteps, Stats.PairedRatios(bs, fs));
    }
}
