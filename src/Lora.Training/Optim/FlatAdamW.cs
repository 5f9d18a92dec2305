using static TorchSharp.torch;

namespace Lora.Training.Optim;

/// <summary>
/// AdamW (decoupled weight decay, PyTorch's update order and bias correction) over one flat parameter vector.
/// Each adapter keeps all its factors in one vector, so an update is a handful of ops whatever the number of
/// targeted layers — the per-op dispatch cost that dominates tiny-adapter training is paid once per adapter.
/// </summary>
public static class FlatAdamW
{
    /// <param name="step">1-based count of updates including this one (bias correction).</param>
    public static void Step(Tensor param, Tensor grad, Tensor m, Tensor v, long step, double lr,
        double beta1, double beta2, double eps, double weightDecay)
    {
        using var _ = no_grad();
        if (weightDecay != 0) param.mul_(1 - lr * weightDecay);
        m.mul_(beta1).add_(grad, alpha: 1 - beta1);
        v.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
        var bias1 = 1 - Math.Pow(beta1, step);
        var bias2 = 1 - Math.Pow(beta2, step);
        using var denom = v.sqrt();
        denom.div_(Math.Sqrt(bias2)).add_(eps);
        param.addcdiv_(m, denom, value: -lr / bias1);
    }
}
