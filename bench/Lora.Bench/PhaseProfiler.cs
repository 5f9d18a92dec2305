using System.Diagnostics;
using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>Median milliseconds of each phase of one fused step, measured with FusedStepExecutor.Run's own
/// sequence of calls (copied so each phase can be timed) on the calling thread, without the engine's queueing.</summary>
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

public sealed class PhaseProfiler(LlamaForCausalLM model, int padId)
{
    public PhaseTimes Profile(IStepVariant variant, int steps)
    {
        Step(variant);   // warm-up
        var samples = Enumerable.Range(0, steps).Select(_ => Step(variant)).ToArray();
        double M(Func<PhaseTimes, double> f) => Stats.Median(samples.Select(f));
        return new PhaseTimes(M(s => s.BatchBuildMs), M(s => s.ForwardMs), M(s => s.BackwardMs), M(s => s.LossReadbackMs),
            M(s => s.OptimizerMs), M(s => s.TotalMs), samples[0].Tokens);
    }

    /// <summary>Forward of the bare base (no LoRA) on the same batch shape: what the LoRA paths add to forward.</summary>
    public double BaseForwardMs(IStepVariant variant, int steps)
    {
        var batch = FusedBatch.Build(variant.Participants, padId);
        var samples = new List<double>();
        for (int i = 0; i <= steps; i++)
        {
            using var scope = NewDisposeScope();
            var start = Stopwatch.GetTimestamp();
            var logits = model.Forward(batch.InputIds(CPU), null);
            nn.functional.cross_entropy(logits.flatten(0, 1), batch.Labels(CPU).flatten(),
                ignore_index: TrainingExample.IgnoreIndex, reduction: nn.Reduction.None);
            if (i > 0) samples.Add(Ms(start));
        }
        return Stats.Median(samples);
    }

    private PhaseTimes Step(IStepVariant variant)
    {
        var participants = variant.Participants;
        var t0 = Stopwatch.GetTimestamp();
        var losses = new double[participants.Count];
        double build, forward, backward, readback;
        using (var scope = NewDisposeScope())
        {
            var batch = FusedBatch.Build(participants, padId);
            var ids = batch.InputIds(CPU);
            var labels = batch.Labels(CPU);
            var delta = variant.CreateDelta(batch);
            build = Ms(t0);

            var t1 = Stopwatch.GetTimestamp();
            var logits = model.Forward(ids, delta);
            var tokenLoss = nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(),
                ignore_index: TrainingExample.IgnoreIndex, reduction: nn.Reduction.None);
            var rowLoss = tokenLoss.view(batch.Rows, batch.SeqLen).sum(1);
            var total = rowLoss.mul(tensor(batch.RowWeight)).sum();
            forward = Ms(t1);

            var t2 = Stopwatch.GetTimestamp();
            total.backward();
            backward = Ms(t2);

            var t3 = Stopwatch.GetTimestamp();
            var owner = tensor(batch.RowOwner.Select(o => (long)o).ToArray());
            var sums = zeros(participants.Count, dtype: ScalarType.Float64)
                .index_add(0, owner, rowLoss.detach().to(ScalarType.Float64), 1);
            var host = sums.cpu().data<double>().ToArray();
            for (int i = 0; i < losses.Length; i++) losses[i] = host[i] / batch.LossTokens[i];
            readback = Ms(t3);

            var t4 = Stopwatch.GetTimestamp();
            variant.Optimize(batch, losses);
            var optimizer = Ms(t4);
            return new PhaseTimes(build, forward, backward, readback, optimizer, Ms(t0), batch.InputTokens.Sum());
        }
    }

    private static double Ms(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
