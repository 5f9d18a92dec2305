using System.Diagnostics;
using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>Median milliseconds of each phase of one fused pass, as timed by <see cref="FusedStepExecutor.LastPhases"/>.</summary>
public sealed record PhaseTimes(double BatchBuildMs, double ForwardMs, double BackwardMs, double LossReadbackMs,
    double OptimizerMs, double TotalMs, int Tokens)
{
    public double TokensPerSecond => Tokens / (TotalMs / 1000);

    public Dictionary<string, object> ToJson() => new()
    {
        ["batch_build_ms"] = Stats.Round(BatchBuildMs), ["forward_ms"] = Stats.Round(ForwardMs),
        ["backward_ms"] = Stats.Round(BackwardMs), ["loss_readback_ms"] = Stats.Round(LossReadbackMs),
        ["optimizer_ms"] = Stats.Round(OptimizerMs), ["total_ms"] = Stats.Round(TotalMs),
        ["tokens_per_s"] = Stats.Round(TokensPerSecond, 0),
    };
}

/// <summary>
/// Runs the src <see cref="FusedStepExecutor"/> directly (no engine queueing) on fixed participants and reads its
/// own phase timings. Call on the engine's compute thread so it uses the same OpenMP pool as training.
/// </summary>
public sealed class PhaseProfiler(LlamaForCausalLM model, int padId)
{
    private readonly FusedStepExecutor _executor = new(model, padId);

    public PhaseTimes Profile(IReadOnlyList<AdapterJob> jobs, int steps)
    {
        var parameters = jobs.Select(j => AdapterParameters.Create(new AdapterLayout(model.Config, j.Lora), j.Lora, model.Device)).ToArray();
        try
        {
            var samples = new List<PassPhases>();
            for (int step = 1; step <= steps + 1; step++)   // step 1 is warm-up
            {
                var participants = jobs.Select((j, i) => new StepParticipant(parameters[i], j.Train.Take(j.Training.BatchSize).ToArray(),
                    j.Training, step, j.Training.LearningRate, true)).ToArray();
                _executor.Run(participants);
                if (step > 1) samples.Add(_executor.LastPhases);
            }
            double M(Func<PassPhases, double> f) => Stats.Median(samples.Select(f));
            var tokens = jobs.Sum(j => j.Train.Take(j.Training.BatchSize).Sum(e => e.Length));
            return new PhaseTimes(M(s => s.BuildMs), M(s => s.ForwardMs), M(s => s.BackwardMs), M(s => s.ReadbackMs),
                M(s => s.OptimizerMs), M(s => s.TotalMs), tokens);
        }
        finally
        {
            foreach (var p in parameters) p.Dispose();
        }
    }

    /// <summary>Forward of the bare base (no LoRA) on the same batch shape: what the LoRA paths add to forward.</summary>
    public double BaseForwardMs(IReadOnlyList<AdapterJob> jobs, int steps)
    {
        var rows = jobs.SelectMany(j => j.Train.Take(j.Training.BatchSize)).ToArray();
        var samples = new List<double>();
        for (int i = 0; i <= steps; i++)
        {
            using var scope = NewDisposeScope();
            var (ids, labels, _) = FusedBatch.Pad(rows, padId, model.Device);
            var start = Stopwatch.GetTimestamp();
            var logits = model.Forward(ids, null);
            nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(),
                ignore_index: TrainingExample.IgnoreIndex, reduction: nn.Reduction.None);
            if (i > 0) samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return Stats.Median(samples);
    }
}
