using Lora.Training.Engine;
using Lora.Training.Model;
using Lora.Training.Optim;
using static TorchSharp.torch;

namespace Lora.Bench.Engine;

/// <summary>src FusedStepExecutor.Run/Finish at dd6d17f, verbatim but for using <see cref="PatchedLoraDelta"/>.</summary>
public sealed class PatchedExecutor(LlamaForCausalLM model, int padId)
{
    public IReadOnlyList<ParticipantResult> Run(IReadOnlyList<StepParticipant> participants)
    {
        var batch = FusedBatch.Build(participants, padId);
        var losses = new double[participants.Count];
        using (var scope = NewDisposeScope())
        {
            var device = model.Device;
            var delta = new PatchedLoraDelta(participants, batch.Groups, training: true, device);
            var logits = model.Forward(batch.InputIds(device), delta);
            var tokenLoss = nn.functional.cross_entropy(logits.flatten(0, 1), batch.Labels(device).flatten(),
                ignore_index: Lora.Training.Data.TrainingExample.IgnoreIndex, reduction: nn.Reduction.None);
            var rowLoss = tokenLoss.view(batch.Rows, batch.SeqLen).sum(1);
            rowLoss.mul(tensor(batch.RowWeight, device: device)).sum().backward();

            var owner = tensor(batch.RowOwner.Select(o => (long)o).ToArray(), device: device);
            var sums = zeros(participants.Count, dtype: ScalarType.Float64, device: device)
                .index_add(0, owner, rowLoss.detach().to(ScalarType.Float64), 1);
            var host = sums.cpu().data<double>().ToArray();
            for (int i = 0; i < participants.Count; i++)
                losses[i] = batch.LossTokens[i] == 0 ? double.NaN : host[i] / batch.LossTokens[i];
        }
        var results = new ParticipantResult[participants.Count];
        for (int i = 0; i < participants.Count; i++) results[i] = Finish(participants[i], losses[i], batch.InputTokens[i]);
        return results;
    }

    private static ParticipantResult Finish(StepParticipant p, double loss, int tokens)
    {
        var flat = p.Parameters.Flat;
        var grad = flat.grad ?? throw new InvalidOperationException("the adapter received no gradient.");
        if (!double.IsFinite(loss))
        {
            grad.zero_();
            return new ParticipantResult(loss, tokens, false, double.NaN, $"loss became non-finite at step {p.OptimizerStep}.");
        }
        if (!p.CompletesStep) return new ParticipantResult(loss, tokens, false, double.NaN, null);
        double norm;
        using (no_grad())
        {
            norm = grad.norm().item<float>();
            if (!double.IsFinite(norm))
            {
                grad.zero_();
                return new ParticipantResult(loss, tokens, false, norm, $"gradient became non-finite at step {p.OptimizerStep}.");
            }
            if (p.Settings.MaxGradNorm > 0 && norm > p.Settings.MaxGradNorm) grad.mul_(p.Settings.MaxGradNorm / (norm + 1e-6));
            FlatAdamW.Step(flat, grad, p.Parameters.M, p.Parameters.V, p.OptimizerStep, p.LearningRate,
                p.Settings.Beta1, p.Settings.Beta2, p.Settings.Epsilon, p.Settings.WeightDecay);
            grad.zero_();
        }
        return new ParticipantResult(loss, tokens, true, norm, null);
    }
}
