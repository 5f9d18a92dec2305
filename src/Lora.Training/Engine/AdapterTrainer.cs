using System.Diagnostics;
using Lora.Training.Lora;

namespace Lora.Training.Engine;

/// <summary>The outcome of training one adapter to completion in process. <paramref name="Duration"/> is the whole
/// call (base eval, steps, final eval, export); <paramref name="TrainingDuration"/> only the step loop.</summary>
public sealed record AdapterTrainingSummary(int Steps, double InitialTrainLoss, double FinalTrainLoss, double BaseEvalLoss,
    double FinalEvalLoss, long Tokens, TimeSpan Duration, TimeSpan TrainingDuration, AdapterWeights Weights)
{
    /// <summary>Training tokens over the time spent stepping: the evals and the export trained no token, and on a
    /// short run with a large eval split they would otherwise dominate the rate.</summary>
    public double TokensPerSecond => Tokens / Math.Max(TrainingDuration.TotalSeconds, 1e-9);
}

/// <summary>Trains one adapter to completion on an engine: the local, single-job path (lora train-local).</summary>
public static class AdapterTrainer
{
    public static async Task<AdapterTrainingSummary> TrainAsync(TrainingEngine engine, AdapterJob job,
        IProgress<TrainingStepResult>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var baseEval = await engine.EvaluateAsync(null, job.Eval);
        var session = await engine.OpenAsync(job, cancellationToken: cancellationToken);
        try
        {
            double first = double.NaN, last = double.NaN;
            long tokens = 0;
            var stepping = Stopwatch.StartNew();
            while (session.Step < job.Training.Steps)
            {
                var result = await engine.StepAsync(session, cancellationToken);
                if (result.Failure is not null) throw new InvalidOperationException($"job '{job.JobId}' failed: {result.Failure}");
                if (double.IsNaN(first)) first = result.Loss;
                last = result.Loss;
                tokens += result.Tokens;
                progress?.Report(result);
            }
            stepping.Stop();
            var finalEval = await engine.EvaluateAsync(session, job.Eval);
            var weights = await engine.ExportAsync(session);
            return new AdapterTrainingSummary(session.Step, first, last, baseEval, finalEval, tokens, clock.Elapsed, stepping.Elapsed, weights);
        }
        finally
        {
            await engine.ReleaseAsync(session);
        }
    }
}
