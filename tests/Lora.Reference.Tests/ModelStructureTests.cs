using Lora.Reference;

namespace Lora.Reference.Tests;

public sealed class ModelStructureTests
{
    [Fact]
    public void Grouped_query_attention_equals_multi_head_attention_with_duplicated_kv_heads()
    {
        // repeat_kv: query head h reads kv head h / (heads / kv_heads); MHA with k/v rows copied accordingly must match.
        var gqaSpec = new TinyModelSpec(HiddenSize: 8, Heads: 4, KvHeads: 2);
        var mhaSpec = gqaSpec with { KvHeads = 4 };
        var gqa = FixtureBuilder.RandomWeights(gqaSpec, seed: 11);
        var mha = new Dictionary<string, DoubleTensor>(gqa);
        int d = gqaSpec.HeadDim, groups = gqaSpec.Heads / gqaSpec.KvHeads;
        foreach (string name in gqa.Keys.Where(k => k.Contains("k_proj") || k.Contains("v_proj")))
        {
            DoubleTensor kv = gqa[name];
            var rows = new List<double>();
            for (int h = 0; h < gqaSpec.Heads; h++)
                rows.AddRange(kv.Data.Skip((h / groups) * d * 8).Take(d * 8));
            mha[name] = new DoubleTensor([gqaSpec.Heads * d, 8], rows.ToArray());
        }

        int[] ids = [3, 1, 4, 1, 5, 9, 2, 6];
        AssertClose(Load(gqaSpec, gqa).Logits(ids), Load(mhaSpec, mha).Logits(ids), 1e-12);
    }

    [Fact]
    public void Logits_are_causal()
    {
        var spec = new TinyModelSpec();
        var model = Load(spec, FixtureBuilder.RandomWeights(spec, seed: 12));
        double[][] a = model.Logits([1, 2, 3, 4, 5]), b = model.Logits([1, 2, 3, 9, 0]);
        AssertClose(a[..3], b[..3], 0);
        Assert.NotEqual(a[3][0], b[3][0]);
    }

    [Fact]
    public void Tied_embeddings_equal_an_untied_lm_head_copied_from_the_embedding()
    {
        var tiedSpec = new TinyModelSpec(TieWordEmbeddings: true);
        var tied = FixtureBuilder.RandomWeights(tiedSpec, seed: 13);
        var untied = new Dictionary<string, DoubleTensor>(tied) { ["lm_head.weight"] = tied["model.embed_tokens.weight"] };
        int[] ids = [0, 10, 5, 7];
        Assert.False(tied.ContainsKey("lm_head.weight"));
        AssertClose(Load(tiedSpec, tied).Logits(ids), Load(tiedSpec with { TieWordEmbeddings = false }, untied).Logits(ids), 0);
    }

    [Fact]
    public void Zero_qkv_biases_equal_no_bias_and_nonzero_biases_are_applied()
    {
        var biasSpec = new TinyModelSpec(QkvBias: true);
        var withBias = FixtureBuilder.RandomWeights(biasSpec, seed: 14);
        var zeroBias = new Dictionary<string, DoubleTensor>(withBias);
        foreach (string name in withBias.Keys.Where(k => k.EndsWith(".bias", StringComparison.Ordinal)))
            zeroBias[name] = FixtureBuilder.Filled(0, withBias[name].Shape);
        var noBias = zeroBias.Where(kv => !kv.Key.EndsWith(".bias", StringComparison.Ordinal)).ToDictionary();

        int[] ids = [1, 2, 3];
        double[][] zero = Load(biasSpec, zeroBias).Logits(ids);
        AssertClose(zero, Load(biasSpec with { QkvBias = false }, noBias).Logits(ids), 0);
        Assert.NotEqual(zero[2][0], Load(biasSpec, withBias).Logits(ids)[2][0]);
    }

    [Fact]
    public void Sharded_bf16_checkpoint_equals_the_model_built_from_bf16_rounded_weights()
    {
        var spec = new TinyModelSpec();
        var weights = FixtureBuilder.RandomWeights(spec, seed: 15);
        var rounded = weights.ToDictionary(kv => kv.Key, kv => new DoubleTensor(kv.Value.Shape,
            kv.Value.Data.Select(v => SafetensorsReader.DecodeBf16(SafetensorsWriter.ToBf16Bits((float)v))).ToArray()));
        using var dir = new TempDirectory();
        FixtureBuilder.WriteModel(dir.Path, spec, weights, dtype: "BF16", shards: 2);

        int[] ids = [4, 4, 2];
        var fromDisk = ReferenceLlama.Load(dir.Path);
        var inMemory = ReferenceLlama.FromWeights(ReferenceLlamaConfig.Parse(spec.ConfigJson()), rounded);
        AssertClose(fromDisk.Logits(ids), inMemory.Logits(ids), 0);
    }

    [Fact]
    public void Config_defaults_follow_llama_config()
    {
        var config = ReferenceLlamaConfig.Parse(
            """{"vocab_size":5,"hidden_size":8,"intermediate_size":4,"num_hidden_layers":1,"num_attention_heads":2}""");
        Assert.Equal(2, config.NumKeyValueHeads);
        Assert.Equal(4, config.HeadDim);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.False(config.TieWordEmbeddings);
    }

    internal static ReferenceLlama Load(TinyModelSpec spec, IReadOnlyDictionary<string, DoubleTensor> weights, string? adapterDir = null)
    {
        using var dir = new TempDirectory();
        FixtureBuilder.WriteModel(dir.Path, spec, weights);
        return adapterDir is null ? ReferenceLlama.Load(dir.Path) : ReferenceLlama.Load(dir.Path, adapterDir);
    }

    internal static void AssertClose(double[][] expected, double[][] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int t = 0; t < expected.Length; t++)
            for (int i = 0; i < expected[t].Length; i++)
                Assert.True(Math.Abs(expected[t][i] - actual[t][i]) <= tolerance,
                    $"[{t}][{i}]: expected {expected[t][i]}, got {actual[t][i]}");
    }
}
