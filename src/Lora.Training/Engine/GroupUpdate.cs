using Lora.Training.Optim;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// The optimizer half of a fused pass for one layout group: finiteness checks, gradient accumulation, one batched
/// norm (one host readback for every member), per-row clip and one <see cref="RowAdamW"/> over all members whose
/// optimizer step completes. Per adapter it does exactly what a solo step does: the same norm, clip factor and update.
/// Call on the compute thread, under no_grad, inside the pass's dispose scope.
/// </summary>
internal static class GroupUpdate
{
    /// <param name="stacked">(k, P) parameters the pass used; for k = 1 a view of the member's flat vector.</param>
    /// <param name="grad">(k, P) this micro-batch's gradient, rows in member order.</param>
    public static void Apply(IReadOnlyList<StepParticipant> participants, IReadOnlyList<int> members, Tensor stacked, Tensor grad,
        double[] losses, int[] tokens, ParticipantResult[] results)
    {
        var update = new List<int>();   // row indices within the group
        for (int j = 0; j < members.Count; j++)
        {
            var i = members[j];
            var (p, loss) = (participants[i], losses[i]);
            if (!double.IsFinite(loss))
            {
                p.Parameters.DropPendingGradient();
                results[i] = new ParticipantResult(loss, tokens[i], false, double.NaN,
                    $"loss became {(double.IsNaN(loss) ? "NaN" : "infinite")} at step {p.OptimizerStep} (learning rate {p.LearningRate:g3}).");
                continue;
            }
            if (!p.CompletesStep)
            {
                p.Parameters.AccumulateGradient(grad[j]);
                results[i] = new ParticipantResult(loss, tokens[i], false, double.NaN, null);
                continue;
            }
            if (p.Parameters.TakePendingGradient() is { } pending)
            {
                using (pending) grad[j].add_(pending);   // detached from every scope when it was stored: ours to free
            }
            update.Add(j);
        }
        if (update.Count == 0) return;

        var all = update.Count == members.Count;
        var rows = all ? null : tensor(update.Select(j => (long)j).ToArray(), device: grad.device);
        var g = all ? grad : grad.index_select(0, rows!);                                  // (u, P)
        var norms = g.norm(1, true, 2).cpu().data<float>().ToArray();                    // (u): one readback for all
        var clip = new float[update.Count];
        var stepped = new List<int>();                                                   // positions within update
        for (int u = 0; u < update.Count; u++)
        {
            var i = members[update[u]];
            var (p, norm) = (participants[i], (double)norms[u]);
            if (!double.IsFinite(norm))
            {
                results[i] = new ParticipantResult(losses[i], tokens[i], false, norm, $"gradient became non-finite at step {p.OptimizerStep}.");
                continue;
            }
            var max = p.Settings.MaxGradNorm;
            clip[u] = max > 0 && norm > max ? (float)(max / (norm + 1e-6)) : 1f;
            stepped.Add(u);
            results[i] = new ParticipantResult(losses[i], tokens[i], true, norm, null);
        }
        if (stepped.Count == 0) return;
        // Rows with a non-finite norm get factor 0 and are never written back, so they cannot touch their adapter.
        g.mul_(tensor(clip, device: grad.device).view(-1, 1));

        var single = members.Count == 1;   // then stacked, M and V are (views of) the adapter's own tensors: update in place
        var param = all ? stacked : stacked.index_select(0, rows!);
        var ps = update.Select(j => participants[members[j]]).ToArray();
        var m = single ? ps[0].Parameters.M.unsqueeze(0) : stack(ps.Select(p => p.Parameters.M), 0);
        var v = single ? ps[0].Parameters.V.unsqueeze(0) : stack(ps.Select(p => p.Parameters.V), 0);
        RowAdamW.Step(param, g, m, v, ps.Select(p => new AdamWRow(p.OptimizerStep, p.LearningRate, p.Settings.Beta1,
            p.Settings.Beta2, p.Settings.Epsilon, p.Settings.WeightDecay)).ToArray());
        if (single) return;
        foreach (var u in stepped)
        {
            var target = ps[u].Parameters;
            target.Flat.detach().copy_(param[u]);
            target.M.copy_(m[u]);
            target.V.copy_(v[u]);
        }
    }
}
