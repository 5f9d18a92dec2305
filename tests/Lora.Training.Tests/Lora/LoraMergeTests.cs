using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Lora;

public sealed class LoraMergeTests
{
    public LoraMergeTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Merge_sets_W_plus_scaling_BA_and_merged_output_equals_unmerged_output()
    {
        using var frozen = LoraFixtures.Frozen(20, 16, bias: true);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4, Alpha = 12 });
        LoraFixtures.RandomizeB(layer);
        using var scope = NewDisposeScope();
        var x = LoraFixtures.Input(6, 20);
        var w0 = frozen.Weight.clone();
        var unmerged = layer.Forward(x).detach();
        layer.Merge();
        Assert.True(layer.Merged);
        var expected = w0.add(layer.B.detach().matmul(layer.A.detach()).mul(3.0));   // scaling = 12 / 4
        Assert.True(Tiny.MaxAbsDiff(frozen.Weight, expected) < 1e-6);
        Assert.True(Tiny.MaxAbsDiff(layer.Forward(x), unmerged) < 1e-5);
    }

    [Fact]
    public void Merging_twice_is_a_no_op_and_unmerge_restores_W()
    {
        using var frozen = LoraFixtures.Frozen(20, 16);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4, Alpha = 8 });
        LoraFixtures.RandomizeB(layer);
        using var scope = NewDisposeScope();
        var w0 = frozen.Weight.clone();
        layer.Merge();
        var once = frozen.Weight.clone();
        Assert.True(Tiny.MaxAbsDiff(once, w0) > 1e-4);
        layer.Merge();
        Assert.True(Tiny.BitEqual(once, frozen.Weight));
        layer.Unmerge();
        Assert.False(layer.Merged);
        Assert.True(Tiny.MaxAbsDiff(frozen.Weight, w0) < 1e-6);
        layer.Unmerge();
        Assert.True(Tiny.MaxAbsDiff(frozen.Weight, w0) < 1e-6, "unmerge when not merged must not subtract again");
    }

    [Fact]
    public void Merge_refuses_non_finite_results_and_leaves_W_untouched()
    {
        using var frozen = LoraFixtures.Frozen(8, 8);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 2 });
        using (no_grad()) layer.B.fill_(float.PositiveInfinity);
        using var w0 = frozen.Weight.clone();
        Assert.Throws<InvalidOperationException>(layer.Merge);
        Assert.False(layer.Merged);
        Assert.True(Tiny.BitEqual(w0, frozen.Weight));
    }
}
