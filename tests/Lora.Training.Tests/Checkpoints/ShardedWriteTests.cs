using System.Text.Json;
using Lora.Training.Checkpoints;
using Lora.Training.Model;
using Lora.Training.Runtime;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Checkpoints;

public sealed class ShardedWriteTests
{
    public ShardedWriteTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Shards_fill_in_order_and_an_oversized_tensor_gets_its_own()
    {
        var plan = ShardPlan.Split([40, 40, 30, 200, 10], maxShardBytes: 100);
        Assert.Equal([[0, 1], [2], [3], [4]], plan.Select(s => s.ToArray()).ToArray());
        Assert.Single(ShardPlan.Split([40, 40], 100));
        Assert.Equal("model-00002-of-00003.safetensors", ShardPlan.ShardName(1, 3));
        Assert.True(ShardPlan.IsShardName("model-00002-of-00003.safetensors"));
        Assert.False(ShardPlan.IsShardName("model-2-of-3.safetensors"));
    }

    [Theory]
    [InlineData("5GB", 5_000_000_000L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("64kib", 65_536L)]
    [InlineData("1.5MB", 1_500_000L)]
    [InlineData("1024", 1024L)]
    public void Sizes_parse_like_transformers_max_shard_size(string text, long bytes) => Assert.Equal(bytes, ShardPlan.ParseSize(text));

    [Theory]
    [InlineData("")]
    [InlineData("5 TB")]
    [InlineData("-1MB")]
    [InlineData("0")]
    public void Bad_sizes_are_refused_naming_the_text(string text) =>
        Assert.Contains($"'{text}'", Assert.Throws<FormatException>(() => ShardPlan.ParseSize(text)).Message);

    [Fact]
    public void A_sharded_export_reads_back_bit_identical_and_replaces_an_earlier_single_file_export()
    {
        using var dir = new TempDirectory();
        var config = new LlamaConfig();
        using var embed = randn(512, 64);
        using var q = randn(64, 64);
        using var head = randn(512, 64);
        (string, Tensor)[] tensors = [("model.embed_tokens.weight", embed), ("model.layers.0.self_attn.q_proj.weight", q), ("lm_head.weight", head)];
        HfModelDirectoryWriter.Write(dir.Path, config, tensors, "float32");
        Assert.True(File.Exists(dir.File(HfCheckpointReader.WeightsFile)));

        // 512×64 floats = 131,072 bytes: a 150 kB limit puts embed and q together, the head alone.
        HfModelDirectoryWriter.Write(dir.Path, config, tensors, "float32", maxShardBytes: 150_000);
        Assert.False(File.Exists(dir.File(HfCheckpointReader.WeightsFile)));   // it would shadow the shards
        using var index = JsonDocument.Parse(File.ReadAllText(dir.File(HfCheckpointReader.IndexFile)));
        Assert.Equal(4L * (512 * 64 * 2 + 64 * 64), index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
        var map = index.RootElement.GetProperty("weight_map");
        Assert.Equal("model-00001-of-00002.safetensors", map.GetProperty("model.layers.0.self_attn.q_proj.weight").GetString());
        Assert.Equal("model-00002-of-00002.safetensors", map.GetProperty("lm_head.weight").GetString());

        var sd = HfCheckpointReader.ReadStateDict(dir.Path);
        try
        {
            foreach (var (name, t) in tensors) Assert.Equal(t.bytes.ToArray(), sd[name].bytes.ToArray());
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }

        HfModelDirectoryWriter.Write(dir.Path, config, tensors, "float32");   // and back: no shard or index left behind
        Assert.Equal([HfCheckpointReader.ConfigFile, HfCheckpointReader.WeightsFile],
            Directory.EnumerateFiles(dir.Path).Select(f => Path.GetFileName(f)!).Order().ToArray());
    }
}
