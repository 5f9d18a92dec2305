using System.Diagnostics;
using Lora.Training.Model;
using Lora.Training.Optim;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// Runs one fused training pass: the shared frozen base once over the concatenated micro-batches of many adapters,
/// each adapter's LoRA path on its own rows, one backward, then an AdamW update for each adapter whose optimizer
/// step completes. Synchronous and thread-bound (dispose scopes and grad mode are per OS thread): call it only
/// from the engine's compute thread.
/// </summary>
public sealed class FusedStepExecutor(LlamaForCausalLM model, int padId)
{
    public LlamaForCausalLM Model => model;

    /// <summary>Wall time of each phase of the last <see cref="Run"/>, for profiling (stopwatch reads only).</summary>
    public PassPhases LastPhases { get; private set; } = new(0, 0, 0, 0, 0);

    public IReadOnlyList<ParticipantResult> Run(IReadOnlyList<StepParticipant> participants)
    {
        var t0 = Stopwatch.GetTimestamp();
        double build, forward, backward, readback;
        var batch = FusedBatch.Build(participants, padId);
        var losses = new double[participants.Count];
        using (var scope = NewDisposeScope())
        {
            var device = model.Device;
            var delta = new FusedLoraDelta(participants, batch.Groups, training: true, device);
            build = Ms(t0);
            var t1 = Stopwatch.GetTimestamp();
            var logits = model.Forward(batch.InputIds(device), delta);                             // (N, T, V)
            var tokenLoss = nn.functional.cross_entropy(logits.flatten(0, 1), batch.Labels(device).flatten(),
                ignore_index: Data.TrainingExample.IgnoreIndex, reduction: nn.Reduction.None);       // (N·T)
            var rowLoss = tokenLoss.view(batch.Rows, batch.SeqLen).sum(1);                        // (N)
            var total = rowLoss.mul(tensor(batch.RowWeight, device: device)).sum();
            forward = Ms(t1);
            var t2 = Stopwatch.GetTimestamp();
            total.backward();
            backward = Ms(t2);
            var t3 = Stopwatch.GetTimestamp();

            var owner = tensor(batch.RowOwner.Select(o => (long)o).ToArray(), device: device);
            var sums = zeros(participants.Count, dtype: ScalarType.Float64, device: device)
                .index_add(0, owner, rowLoss.detach().to(ScalarType.Float64), 1);                      // (K)
            var host = sums.cpu().data<double>().ToArray();
            for (int i = 0; i < participants.Count; i++)
                losses[i] = batch.LossTokens[i] == 0 ? double.NaN : host[i] / batch.LossTokens[i];
            readback = Ms(t3);
        }

        var t4 = Stopwatch.GetTimestamp();
        var results = new ParticipantResult[participants.Count];
        for (int i = 0; i < participants.Count; i++)
            results[i] = Finish(participants[i], losses[i], batch.InputTokens[i]);
        LastPhases = new PassPhases(build, forward, backward, readback, Ms(t4));
        return results;
    }

    private static ParticipantResult Finish(StepParticipant p, double loss, int tokens)
    {
        var flat = p.Parameters.Flat;
        var grad = flat.grad ?? throw new InvalidOperationException("the adapter received no gradient; is it on the base's device?");
        if (!double.IsFinite(loss))
        {
            grad.zero_();
            return new ParticipantResult(loss, tokens, false, double.NaN,
                $"loss became {(double.IsNaN(loss) ? "NaN" : "infinite")} at step {p.OptimizerStep} (learning rate {p.LearningRate:g3}).");
        }
        if (!p.CompletesStep) return new ParticipantResult(loss, tokens, false, double.NaN, null);

        double norm;
        using (no_grad())
        {
            using (var n = grad.norm()) norm = n.item<float>();
            if (!double.IsFinite(norm))
            {
                grad.zero_();
                return new ParticipantResult(loss, tokens, false, norm, $"gradient became non-finite at step {p.OptimizerStep}.");
            }
            if (p.Settings.MaxGradNorm > 0 && norm > p.Settings.MaxGradNorm)
                grad.mul_(p.Settings.MaxGradNorm / (norm + 1e-6));
            FlatAdamW.Step(flat, grad, p.Parameters.M, p.Parameters.V, p.OptimizerStep, p.LearningRate,
                p.Settings.Beta1, p.Settings.Beta2, p.Settings.Epsilon, p.Settings.WeightDecay);
            grad.zero_();
        }
        return new ParticipantResult(loss, tokens, true, norm, null);
    }

    /// <summary>Mean next-token loss over examples with an adapter's delta (or the bare base when null), without gradients.</summary>
    public double Evaluate(Lora.ILoraDelta? delta, IReadOnlyList<Data.TrainingExample> examples, int batchSize)
    {
        double total = 0;
        long tokens = 0;
        using var _ = no_grad();
        foreach (var chunk in examples.Chunk(Math.Max(1, batchSize)))
        {
            using var scope = NewDisposeScope();
            var (ids, labels, lossTokens) = FusedBatch.Pad(chunk, padId, model.Device);
            var logits = model.Forward(ids, delta);                                               // (B, T, V)
            var loss = nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(),
                ignore_index: Data.TrainingExample.IgnoreIndex, reduction: nn.Reduction.Sum);
            total += loss.item<float>();
            tokens += lossTokens;
        }
        return tokens == 0 ? double.NaN : total / tokens;
    }

    private static double Ms(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

/// <summary>Milliseconds spent in each phase of one fused pass (batch build includes the LoRA stacks).</summary>
public sealed record PassPhases(double BuildMs, double ForwardMs, double BackwardMs, double ReadbackMs, double OptimizerMs)
{
    public double TotalMs => BuildMs + ForwardMs + BackwardMs + ReadbackMs + OptimizerMs;
}
