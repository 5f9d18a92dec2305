using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Lora;

public sealed class LoraGradientTests
{
    public LoraGradientTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Autograd_gradients_of_A_and_B_match_the_analytic_lora_formula()
    {
        using var frozen = LoraFixtures.Frozen(12, 10);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 3, Alpha = 5 });
        LoraFixtures.RandomizeB(layer);
        using var scope = NewDisposeScope();
        var x = LoraFixtures.Input(7, 12);
        var g = LoraFixtures.Input(7, 10, seed: 8);        // upstream dL/dy
        layer.Forward(x).mul(g).sum().backward();
        var s = layer.Scaling;
        var a = layer.A.detach();
        var b = layer.B.detach();
        var dB = g.t().matmul(x.matmul(a.t())).mul(s);     // (out, r) = s · gᵀ (x Aᵀ)
        var dA = b.t().matmul(g.t()).matmul(x).mul(s);     // (r, in)  = s · Bᵀ gᵀ x
        Assert.True(Tiny.MaxAbsDiff(layer.B.grad!, dB) < 1e-5, $"dB diff {Tiny.MaxAbsDiff(layer.B.grad!, dB)}");
        Assert.True(Tiny.MaxAbsDiff(layer.A.grad!, dA) < 1e-5, $"dA diff {Tiny.MaxAbsDiff(layer.A.grad!, dA)}");
        Assert.True(dA.abs().max().item<float>() > 1e-3, "the check needs a non-trivial dA");
    }

    [Fact]
    public void Gradients_match_central_finite_differences()
    {
        using var frozen = LoraFixtures.Frozen(6, 5);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 2, Alpha = 4 });
        LoraFixtures.RandomizeB(layer, std: 0.5);
        using var scope = NewDisposeScope();
        var x = LoraFixtures.Input(4, 6);
        var target = LoraFixtures.Input(4, 5, seed: 5);
        Tensor Loss() => layer.Forward(x).sub(target).pow(2).sum();
        Loss().backward();
        const double eps = 1e-2;
        foreach (var (p, idx) in new[] { (layer.A, new long[] { 0, 1 }), (layer.A, new long[] { 1, 4 }), (layer.B, new long[] { 2, 0 }), (layer.B, new long[] { 4, 1 }) })
        {
            var analytic = p.grad![idx].item<float>();
            double Eval(double delta)
            {
                using var _ = no_grad();
                var orig = p[idx].item<float>();
                p[idx] = tensor((float)(orig + delta));
                var l = Loss().item<float>();
                p[idx] = tensor(orig);
                return l;
            }
            var numeric = (Eval(eps) - Eval(-eps)) / (2 * eps);
            Assert.True(Math.Abs(numeric - analytic) <= 1e-2 * Math.Max(1e-2, Math.Abs(analytic)) + 1e-3,
                $"[{string.Join(",", idx)}] analytic {analytic} numeric {numeric}");
        }
    }
}
