using Lora.Training.Runtime;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Model;

/// <summary>Plain forward passes on a model whose rotary cache is cold (no test-side warm-up).</summary>
public sealed class ForwardSmokeTests
{
    public ForwardSmokeTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Two_layer_model_forward_returns_finite_logits_of_shape_B_T_V()
    {
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        var logits = model.Forward(Tiny.Ids(2, 5));
        Assert.Equal(new long[] { 2, 5, 512 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void Second_forward_with_the_same_length_inside_a_fresh_scope_gives_the_same_logits()
    {
        using var model = Tiny.Model();
        Tensor first;
        using (var s1 = NewDisposeScope()) first = model.Forward(Tiny.Ids(1, 6)).MoveToOuterDisposeScope();
        using var s2 = NewDisposeScope();
        var second = model.Forward(Tiny.Ids(1, 6));
        Assert.True(Tiny.BitEqual(first, second));
        first.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Last_position_logits_equal_the_last_row_of_the_full_logits(bool tied)
    {
        using var model = Tiny.Model(Tiny.Config(c => c with { TieWordEmbeddings = tied }));
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(2, 7);
        var last = model.ForwardLast(ids);
        Assert.Equal(new long[] { 2, 512 }, last.shape);
        Assert.True(Tiny.MaxAbsDiff(model.Forward(ids).select(1, -1), last) < 1e-5);
    }
}
