using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Engine;

public sealed class AdapterParametersTests
{
    public AdapterParametersTests() => TorchRuntime.EnsureLoaded();

    private static readonly LoraSettings Settings = new() { Rank = 4, TargetModules = ["q_proj", "v_proj", "down_proj"], Seed = 9 };

    [Fact]
    public void Create_gives_a_flat_leaf_of_layout_size_with_B_zero_and_zero_moments()
    {
        var layout = new AdapterLayout(Tiny.Config(), Settings);
        using var p = AdapterParameters.Create(layout, Settings, CPU);
        Assert.Equal(Settings.TrainableParameters(Tiny.Config()), layout.Size);
        Assert.Equal(layout.Size, p.Flat.numel());
        Assert.True(p.Flat.requires_grad);
        Assert.Equal(0f, p.M.abs().max().item<float>());
        Assert.Equal(layout.Size, p.V.numel());
        foreach (var s in layout.Segments)
        {
            using var b = p.B(s);
            using var a = p.A(s);
            Assert.Equal(0f, b.abs().max().item<float>());
            Assert.True(a.abs().max().item<float>() > 0f);
        }
    }

    [Fact]
    public void FromWeights_of_ToWeights_round_trips_bit_exactly()
    {
        var layout = new AdapterLayout(Tiny.Config(), Settings);
        using var p = EngineFixtures.Parameters(Tiny.Config(), Settings);
        using var weights = p.ToWeights();
        Assert.Equal(layout.Segments.Select(s => s.ModulePath), weights.Pairs.Keys);
        Assert.Equal(new long[] { 4, 128 }, weights.Find("model.layers.1.mlp.down_proj")!.A.shape);
        Assert.Equal(new long[] { 32, 4 }, weights.Find("model.layers.0.self_attn.v_proj")!.B.shape);
        using var back = AdapterParameters.FromWeights(layout, weights, CPU);
        Assert.True(Tiny.BitEqual(p.Flat.detach(), back.Flat.detach()));
    }

    [Fact]
    public void FromWeights_with_a_mis_shaped_factor_names_the_module_and_both_shapes()
    {
        var layout = new AdapterLayout(Tiny.Config(), Settings);
        using var p = EngineFixtures.Parameters(Tiny.Config(), Settings);
        using var weights = p.ToWeights();
        var pairs = weights.Pairs.ToDictionary(kv => kv.Key, kv => kv.Value);
        pairs["model.layers.1.self_attn.v_proj"] = new LoraPair(zeros(4, 64), zeros(64, 4));   // B should be (32, 4)
        using var bad = new AdapterWeights(Settings, pairs);
        var ex = Assert.Throws<InvalidDataException>(() => AdapterParameters.FromWeights(layout, bad, CPU));
        Assert.Contains("model.layers.1.self_attn.v_proj", ex.Message);
        Assert.Contains("[64, 4]", ex.Message);
        Assert.Contains("[32, 4]", ex.Message);
    }

    [Fact]
    public void View_and_ViewB_slice_a_flat_vector_and_a_stack_of_them()
    {
        var layout = new AdapterLayout(Tiny.Config(), Settings);
        var seg = layout.Find(1, "v_proj")!;
        using var flat = arange(layout.Size, dtype: ScalarType.Float32);
        using var a = AdapterParameters.View(flat, seg);
        using var b = AdapterParameters.ViewB(flat, seg, 4);
        Assert.Equal(new long[] { 4, 64 }, a.shape);
        Assert.Equal(new long[] { 32, 4 }, b.shape);
        Assert.Equal((float)seg.AOffset, a[0, 0].item<float>());
        Assert.Equal((float)seg.BOffset + 5, b[1, 1].item<float>());
        using var stacked = stack([flat, flat], 0);
        using var sa = AdapterParameters.View(stacked, seg);
        Assert.Equal(new long[] { 2, 4, 64 }, sa.shape);
    }
}
