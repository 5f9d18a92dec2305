using Lora.Training.Lora;

namespace Lora.Training.Engine;

/// <summary>The outcome of training one adapter to completion in process.</summary>
public sealed record AdapterTrainingSummary(int Steps, double InitialTrainLoss, double FinalTrainLoss, double BaseEvalLoss,
    double FinalEvalLoss, long Tokens, TimeSpan Duration, AdapterWeights Weights);

/// <summary>Trains one adapter to completion on an engine: the local, single-job path (lora train-local).</summary>
public static class AdapterTrainer
{
    public static async Task<AdapterTrainingSummary> TrainAsync(TrainingEngine engine, AdapterJob job,
        IProgress<TrainingStepResult>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var baseEval = await engine.EvaluateAsync(null, job.Eval);
        var session = await engine.OpenAsync(job, cancellationToken: cancellationToken);
        try
        {
            double first = double.NaN, last = double.NaN;
            long tokens = 0;
            while (session.Step < job.Training.Steps)
            {
                var result = await engine.StepAsync(session, cancellationToken);
                if (result.Failure is not null) throw new InvalidOperationException($"job '{job.JobId}' failed: {result.Failure}");
                if (double.IsNaN(first)) first = result.Loss;
                last = result.Loss;
                tokens += result.Tokens;
                progress?.Report(result);
            }
            var finalEval = await engine.EvaluateAsync(session, job.Eval);
            var weights = await engine.ExportAsync(session);
            return new AdapterTrainingSummary(session.Step, first, last, baseEval, finalEval, tokens, clock.Elapsed, weights);
        }
        finally
        {
            await engine.ReleaseAsync(session);
        }
    }
}
