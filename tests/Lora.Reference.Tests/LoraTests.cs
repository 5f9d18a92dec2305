using Lora.Reference;

namespace Lora.Reference.Tests;

public sealed class LoraTests
{
    private static readonly string[] Targets =
    [
        "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj",
        "model.layers.0.self_attn.o_proj", "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj",
        "model.layers.0.mlp.down_proj", "model.layers.1.self_attn.q_proj", "lm_head",
    ];

    private static readonly int[] Ids = [1, 7, 3, 3, 0, 10];

    [Theory]
    [InlineData(8.0, false, 2.0)] // alpha / r
    [InlineData(8.0, true, 4.0)] // alpha / sqrt(r)
    public void Scaling_is_alpha_over_r_or_over_sqrt_r_for_rslora(double alpha, bool rsLora, double expected) =>
        Assert.Equal(expected, ReferenceLora.ComputeScaling(alpha, 4, rsLora));

    [Fact]
    public void Zero_b_leaves_the_base_model_unchanged()
    {
        var spec = new TinyModelSpec();
        var weights = FixtureBuilder.RandomWeights(spec, seed: 21);
        var pairs = FixtureBuilder.RandomAdapter(weights, rank: 2, seed: 22, Targets)
            .ToDictionary(kv => kv.Key, kv => (kv.Value.A, FixtureBuilder.Filled(0, kv.Value.B.Shape)));
        using var dir = new TempDirectory();
        FixtureBuilder.WriteAdapter(dir.Path, rank: 2, alpha: 16, useRsLora: false, pairs);

        ModelStructureTests.AssertClose(
            ModelStructureTests.Load(spec, weights).Logits(Ids), ModelStructureTests.Load(spec, weights, dir.Path).Logits(Ids), 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adapter_equals_a_base_whose_weights_were_replaced_by_w_plus_scaled_ba(bool rsLora)
    {
        var spec = new TinyModelSpec();
        var weights = FixtureBuilder.RandomWeights(spec, seed: 23);
        var pairs = FixtureBuilder.RandomAdapter(weights, rank: 4, seed: 24, Targets);
        using var dir = new TempDirectory();
        FixtureBuilder.WriteAdapter(dir.Path, rank: 4, alpha: 6, useRsLora: rsLora, pairs);
        var adapter = ReferenceLora.Load(dir.Path);
        double scaling = rsLora ? 6 / 2.0 : 6 / 4.0;
        Assert.Equal(scaling, adapter.Scaling);

        // Merge by hand: W'[o,i] = W[o,i] + scaling · Σ_k B[o,k] A[k,i].
        var merged = new Dictionary<string, DoubleTensor>(weights);
        foreach (var (module, (a, b)) in pairs)
        {
            DoubleTensor w = weights[module + ".weight"];
            int outF = w.Shape[0], inF = w.Shape[1], r = a.Shape[0];
            var data = (double[])w.Data.Clone();
            for (int o = 0; o < outF; o++)
                for (int i = 0; i < inF; i++)
                    for (int k = 0; k < r; k++)
                        data[o * inF + i] += scaling * b[o, k] * a[k, i];
            merged[module + ".weight"] = new DoubleTensor(w.Shape, data);
        }

        var config = ReferenceLlamaConfig.Parse(spec.ConfigJson());
        double[][] factored = ModelStructureTests.Load(spec, weights, dir.Path).Logits(Ids);
        double[][] dense = ReferenceLlama.FromWeights(config, merged).Logits(Ids);
        ModelStructureTests.AssertClose(dense, factored, 1e-12);
        // The adapter must actually matter, or the comparison above proves nothing.
        Assert.True(Math.Abs(dense[5][0] - ReferenceLlama.FromWeights(config, weights).Logits(Ids)[5][0]) > 1e-3);
    }

    [Fact]
    public void Adapter_module_matching_no_layer_is_rejected()
    {
        var spec = new TinyModelSpec();
        var weights = FixtureBuilder.RandomWeights(spec, seed: 25);
        var pair = FixtureBuilder.RandomAdapter(weights, rank: 2, seed: 26, "model.layers.0.self_attn.q_proj").Single().Value;
        var lora = ReferenceLora.FromTensors(2, 4, false, new Dictionary<string, DoubleTensor>
        {
            ["base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight"] = pair.A,
            ["base_model.model.model.layers.7.self_attn.q_proj.lora_B.weight"] = pair.B,
        });
        Assert.Throws<InvalidDataException>(() => ReferenceLlama.FromWeights(ReferenceLlamaConfig.Parse(spec.ConfigJson()), weights, lora));
    }
}
