using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Lora;

public sealed class LoraInitScalingDropoutTests
{
    public LoraInitScalingDropoutTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Scaling_is_alpha_over_r_or_alpha_over_sqrt_r_with_rslora()
    {
        Assert.Equal(2.0, new LoraSettings { Rank = 8, Alpha = 16 }.Scaling, 12);
        Assert.Equal(16 / Math.Sqrt(8), new LoraSettings { Rank = 8, Alpha = 16, UseRsLora = true }.Scaling, 12);
        using var frozen = LoraFixtures.Frozen(16, 16);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4, Alpha = 6, UseRsLora = true });
        Assert.Equal(3.0, layer.Scaling, 12);
        LoraFixtures.RandomizeB(layer);
        using var scope = NewDisposeScope();
        var x = LoraFixtures.Input(3, 16);
        var expected = frozen.Forward(x).add(x.matmul(layer.A.t()).matmul(layer.B.t()).mul(3.0));
        Assert.True(Tiny.MaxAbsDiff(layer.Forward(x), expected) < 1e-5);
    }

    [Fact]
    public void Kaiming_init_is_uniform_within_one_over_sqrt_in_and_gaussian_has_std_one_over_r()
    {
        using var g = new Generator(5);
        using var kaiming = LoraPair.Create(400, 30, new LoraSettings { Rank = 16 }, g);
        var bound = 1 / Math.Sqrt(400);
        Assert.True(kaiming.A.abs().max().item<float>() <= bound + 1e-7);
        Assert.InRange(kaiming.A.abs().max().item<float>(), bound * 0.98, bound + 1e-7);
        Assert.InRange(kaiming.A.std().item<float>(), bound / Math.Sqrt(3) * 0.95, bound / Math.Sqrt(3) * 1.05);
        Assert.Equal(0f, kaiming.B.abs().max().item<float>());

        using var gaussian = LoraPair.Create(400, 30, new LoraSettings { Rank = 16, Init = LoraSettings.Gaussian }, g);
        Assert.InRange(gaussian.A.std().item<float>(), 1.0 / 16 * 0.95, 1.0 / 16 * 1.05);
        Assert.InRange(gaussian.A.mean().item<float>(), -0.005, 0.005);
        Assert.True(gaussian.A.abs().max().item<float>() > bound, "gaussian is unbounded, unlike kaiming");
        Assert.Equal(0f, gaussian.B.abs().max().item<float>());
    }

    [Fact]
    public void Same_seed_gives_the_same_factors()
    {
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var a = LoraPair.Create(32, 8, new LoraSettings { Rank = 4 }, g1);
        using var b = LoraPair.Create(32, 8, new LoraSettings { Rank = 4 }, g2);
        Assert.True(Tiny.BitEqual(a.A, b.A));
    }

    [Fact]
    public void Dropout_with_zero_B_leaves_the_output_equal_to_the_base_in_train_mode()
    {
        using var frozen = LoraFixtures.Frozen(32, 16);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4, Dropout = 0.5 });
        layer.train();
        using var scope = NewDisposeScope();
        var x = LoraFixtures.Input(10, 32);
        Assert.True(Tiny.BitEqual(layer.Forward(x), frozen.Forward(x)));
    }

    [Fact]
    public void Dropout_acts_only_on_the_lora_path_in_train_mode_and_not_at_all_in_eval_mode()
    {
        using var frozen = LoraFixtures.Frozen(32, 16);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4, Alpha = 4, Dropout = 0.5 });
        LoraFixtures.RandomizeB(layer, std: 1.0);
        using var scope = NewDisposeScope();
        var x = LoraFixtures.Input(10, 32);
        var baseOut = frozen.Forward(x);
        var noDrop = baseOut.add(x.matmul(layer.A.t()).matmul(layer.B.t()));

        layer.eval();
        Assert.True(Tiny.MaxAbsDiff(layer.Forward(x), noDrop) < 1e-5, "eval mode must not drop");
        Assert.True(Tiny.BitEqual(layer.Forward(x), layer.Forward(x)), "eval mode is deterministic");

        layer.train();
        var y = layer.Forward(x);
        Assert.True(Tiny.MaxAbsDiff(y, noDrop) > 1e-3, "train mode must drop on the LoRA path");
        // What remains beyond the base is exactly a LoRA delta of some masked, rescaled input: it lies in span(B).
        var delta = y.sub(baseOut);                                     // (N, out)
        var b = layer.B.detach();                                        // (out, r)
        var projected = delta.matmul(b).matmul(linalg.pinv(b.t().matmul(b))).matmul(b.t());
        Assert.True(Tiny.MaxAbsDiff(projected, delta) < 1e-4, "the base path must not see dropout");
    }
}
