using static TorchSharp.torch;

namespace Lora.Training.Optim;

/// <summary>Per-row AdamW hyper-parameters: row i of a (k, P) stack is one adapter's flat vector.</summary>
public sealed record AdamWRow(long Step, double LearningRate, double Beta1, double Beta2, double Epsilon, double WeightDecay);

/// <summary>
/// AdamW for k adapters at once: parameters, gradients and moments are (k, P) stacks (row i is one adapter's flat
/// vector), and every
/// per-adapter scalar (learning rate, betas, bias corrections, decay) becomes a (k, 1) column. About a dozen ops per
/// pass whatever k is, instead of a dozen per adapter — per-op dispatch, not arithmetic, dominates at LoRA sizes.
/// Decoupled weight decay, PyTorch's update order and bias correction (tested row by row against torch's AdamW).
/// </summary>
public static class RowAdamW
{
    public static void Step(Tensor param, Tensor grad, Tensor m, Tensor v, IReadOnlyList<AdamWRow> rows)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = param.device;
        Tensor Column(Func<AdamWRow, double> f) => tensor(rows.Select(r => (float)f(r)).ToArray(), device: device).view(-1, 1);   // (k, 1)

        if (rows.Any(r => r.WeightDecay != 0)) param.mul_(Column(r => 1 - r.LearningRate * r.WeightDecay));
        m.mul_(Column(r => r.Beta1)).addcmul_(grad, Column(r => 1 - r.Beta1), 1);
        v.mul_(Column(r => r.Beta2)).addcmul_(grad.mul(grad), Column(r => 1 - r.Beta2), 1);
        var denom = v.sqrt().div_(Column(r => Math.Sqrt(1 - Math.Pow(r.Beta2, r.Step)))).add_(Column(r => r.Epsilon));
        param.addcmul_(m.div(denom), Column(r => -r.LearningRate / (1 - Math.Pow(r.Beta1, r.Step))), 1);
    }
}
