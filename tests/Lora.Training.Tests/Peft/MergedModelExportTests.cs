using Lora.Training.Checkpoints;
using Lora.Training.Lora;
using Lora.Training.Peft;
using Lora.Training.Runtime;
using Lora.Training.Tests.Checkpoints;
using Lora.Training.Tokenization;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Peft;

public sealed class MergedModelExportTests
{
    public MergedModelExportTests() => TorchRuntime.EnsureLoaded();

    private static readonly LoraSettings Settings = new() { Rank = 4, Alpha = 8, TargetModules = ["q_proj"] };

    private static Dictionary<string, Tensor> Base(ScalarType dtype)
    {
        using var gen = new Generator(11);
        return new()
        {
            ["model.layers.0.self_attn.q_proj.weight"] = randn([64, 64], generator: gen).to(dtype),
            ["model.layers.1.self_attn.q_proj.weight"] = randn([64, 64], generator: gen).to(dtype),
            ["model.norm.weight"] = ones(64),
        };
    }

    [Fact]
    public void Merged_weight_equals_w_plus_scaling_b_a_and_others_are_untouched()
    {
        var baseSd = Base(ScalarType.Float32);
        using var adapter = TinyAdapter.Create(Settings);
        var merged = MergedModelExport.Merge(baseSd, adapter);

        foreach (var (path, pair) in adapter.Pairs)
        {
            var w = baseSd[path + ".weight"];
            using var expected = w + Settings.Scaling * pair.B.matmul(pair.A);
            Assert.True(merged[path + ".weight"].allclose(expected, rtol: 1e-6, atol: 1e-6), path);
            Assert.False(merged[path + ".weight"].allclose(w), path); // the adapter actually changed something
        }
        Assert.Same(baseSd["model.norm.weight"], merged["model.norm.weight"]);
        foreach (var k in MergedModelExport.MergedKeys(adapter)) merged[k].Dispose();
        foreach (var t in baseSd.Values) t.Dispose();
    }

    [Fact]
    public void A_bf16_base_is_merged_in_fp32_and_cast_back()
    {
        var baseSd = Base(ScalarType.BFloat16);
        using var adapter = TinyAdapter.Create(Settings);
        var merged = MergedModelExport.Merge(baseSd, adapter);
        const string key = "model.layers.0.self_attn.q_proj.weight";
        Assert.Equal(ScalarType.BFloat16, merged[key].dtype);
        var pair = adapter.Pairs["model.layers.0.self_attn.q_proj"];
        using var expected = (baseSd[key].to(ScalarType.Float32) + Settings.Scaling * pair.B.matmul(pair.A)).to(ScalarType.BFloat16);
        Assert.Equal(expected.bytes.ToArray(), merged[key].bytes.ToArray());
        foreach (var k in MergedModelExport.MergedKeys(adapter)) merged[k].Dispose();
        foreach (var t in baseSd.Values) t.Dispose();
    }

    [Fact]
    public void Non_finite_results_are_refused_naming_the_module()
    {
        var baseSd = Base(ScalarType.Float32);
        using var adapter = TinyAdapter.Create(Settings);
        adapter.Pairs["model.layers.1.self_attn.q_proj"].B[0, 0] = tensor(float.PositiveInfinity);
        var ex = Assert.Throws<InvalidDataException>(() => MergedModelExport.Merge(baseSd, adapter));
        Assert.Contains("model.layers.1.self_attn.q_proj", ex.Message);
        foreach (var t in baseSd.Values) t.Dispose();
    }

    [Fact]
    public void Re_exporting_over_a_sharded_export_replaces_the_whole_set_and_a_failed_export_changes_nothing()
    {
        using var dir = new TempDirectory();
        var baseDir = dir.File("base");
        var baseSd = Base(ScalarType.Float32);
        using (var embed = randn(512, 64))
            HfModelDirectoryWriter.Write(baseDir, TinyAdapter.Config, baseSd.Append(KeyValuePair.Create("model.embed_tokens.weight", embed))
                .Select(kv => (kv.Key, kv.Value)), "float32");
        TokenizerFiles.WriteByteLevel(baseDir, 512);
        using var adapter = TinyAdapter.Create(Settings);
        var outDir = dir.File("merged");

        // The 128 KiB embedding is over the limit: one shard for it, one for the rest.
        MergedModelExport.ExportDirectory(baseDir, adapter, outDir, maxShardBytes: 100_000);
        Assert.Equal(2, Directory.GetFiles(outDir, "model-*-of-*.safetensors").Length);
        File.WriteAllText(Path.Combine(outDir, "README.md"), "mine");

        MergedModelExport.ExportDirectory(baseDir, adapter, outDir);
        string[] expected = ["README.md", "config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"];
        Assert.Equal(expected, Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
        var merged = HfCheckpointReader.ReadStateDict(outDir);
        const string q = "model.layers.1.self_attn.q_proj.weight";
        var pair = adapter.Pairs["model.layers.1.self_attn.q_proj"];
        using (var want = baseSd[q] + Settings.Scaling * pair.B.matmul(pair.A))
            Assert.True(merged[q].allclose(want, rtol: 1e-6, atol: 1e-6));
        foreach (var t in merged.Values.Concat(baseSd.Values)) t.Dispose();

        var before = File.ReadAllBytes(Path.Combine(outDir, "model.safetensors"));
        Assert.Throws<ArgumentException>(() => MergedModelExport.ExportDirectory(baseDir, adapter, outDir, dtype: "int8", maxShardBytes: 100_000));
        Assert.Equal(expected, Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(outDir, "model.safetensors")));
        Assert.Equal(["base", "merged"], Directory.GetFileSystemEntries(dir.Path).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
    }
}
