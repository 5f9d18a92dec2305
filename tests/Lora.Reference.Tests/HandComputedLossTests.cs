using Lora.Reference;

namespace Lora.Reference.Tests;

/// <summary>One-layer models whose weights make the forward pass computable with pencil and paper.</summary>
public sealed class HandComputedLossTests
{
    [Fact]
    public void Identity_readout_with_silenced_blocks_gives_the_closed_form_loss()
    {
        // embed = 2·I, o_proj = down_proj = 0 so both residual updates vanish, norms = 1, eps = 0, lm_head = I.
        // Final RMSNorm of 2·e_i: rms = sqrt(4/4) = 1 → logits = 2·e_i.
        // Tokens [0,1,1,3]: pairs (0→1) and (1→3) cost lse − 0, (1→1) costs lse − 2, lse = log(e² + 3).
        var spec = new TinyModelSpec(VocabSize: 4, HiddenSize: 4, IntermediateSize: 3, Layers: 1, Heads: 1, KvHeads: 1, RmsNormEps: 0);
        var w = FixtureBuilder.RandomWeights(spec, seed: 5);
        w["model.embed_tokens.weight"] = Scaled(Identity(4), 2);
        w["model.layers.0.self_attn.o_proj.weight"] = FixtureBuilder.Filled(0, 4, 4);
        w["model.layers.0.mlp.down_proj.weight"] = FixtureBuilder.Filled(0, 4, 3);
        w["model.norm.weight"] = FixtureBuilder.Filled(1, 4);
        w["lm_head.weight"] = Identity(4);

        var model = Load(spec, w);

        double expected = Math.Log(Math.Exp(2) + 3) - 2.0 / 3.0; // = 1.6740863...
        Assert.Equal(1.674086, expected, 6);
        Assert.Equal(expected, model.MeanNextTokenLoss([0, 1, 1, 3]), 12);
        Assert.Equal([2.0, 0, 0, 0], model.Logits([0])[0]);
    }

    [Fact]
    public void Zero_queries_and_keys_average_the_values_over_the_causal_prefix()
    {
        // q = k = 0 → every score 0 → softmax is uniform over s ≤ t (RoPE of zero is zero).
        // v = o = I, MLP silenced, input norm of a unit vector in 2-D is √2·e_i, so
        // h_t = e_{x_t} + √2 · mean_{s≤t} e_{x_s}; logits = RMSNorm(h_t) with unit weights.
        var spec = new TinyModelSpec(VocabSize: 2, HiddenSize: 2, IntermediateSize: 2, Layers: 1, Heads: 1, KvHeads: 1, RmsNormEps: 0);
        var w = FixtureBuilder.RandomWeights(spec, seed: 6);
        w["model.embed_tokens.weight"] = Identity(2);
        w["model.layers.0.input_layernorm.weight"] = FixtureBuilder.Filled(1, 2);
        w["model.layers.0.self_attn.q_proj.weight"] = FixtureBuilder.Filled(0, 2, 2);
        w["model.layers.0.self_attn.k_proj.weight"] = FixtureBuilder.Filled(0, 2, 2);
        w["model.layers.0.self_attn.v_proj.weight"] = Identity(2);
        w["model.layers.0.self_attn.o_proj.weight"] = Identity(2);
        w["model.layers.0.mlp.down_proj.weight"] = FixtureBuilder.Filled(0, 2, 2);
        w["model.norm.weight"] = FixtureBuilder.Filled(1, 2);
        w["lm_head.weight"] = Identity(2);
        var model = Load(spec, w);

        double r2 = Math.Sqrt(2);
        double[][] h = [[1 + r2, 0], [r2 / 2, 1 + r2 / 2], [r2 / 3, 1 + 2 * r2 / 3]]; // tokens [0, 1, 1]
        double[][] logits = model.Logits([0, 1, 1]);
        for (int t = 0; t < 3; t++)
        {
            double rms = Math.Sqrt((h[t][0] * h[t][0] + h[t][1] * h[t][1]) / 2);
            Assert.Equal(h[t][0] / rms, logits[t][0], 12);
            Assert.Equal(h[t][1] / rms, logits[t][1], 12);
        }
        double expectedLoss = (ReferenceLlama.LogSumExp(logits[0]) - logits[0][1] + ReferenceLlama.LogSumExp(logits[1]) - logits[1][1]) / 2;
        Assert.Equal(expectedLoss, model.MeanNextTokenLoss([0, 1, 1]), 12);
    }

    internal static DoubleTensor Identity(int n)
    {
        var data = new double[n * n];
        for (int i = 0; i < n; i++) data[i * n + i] = 1;
        return new DoubleTensor([n, n], data);
    }

    private static DoubleTensor Scaled(DoubleTensor t, double s) => new(t.Shape, t.Data.Select(v => v * s).ToArray());

    private static ReferenceLlama Load(TinyModelSpec spec, Dictionary<string, DoubleTensor> weights)
    {
        using var dir = new TempDirectory();
        FixtureBuilder.WriteModel(dir.Path, spec, weights);
        return ReferenceLlama.Load(dir.Path);
    }
}
