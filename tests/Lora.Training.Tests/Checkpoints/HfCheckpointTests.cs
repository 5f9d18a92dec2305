using System.Text.Json.Nodes;
using Lora.Training.Checkpoints;
using Lora.Training.Model;
using Lora.Training.Runtime;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Checkpoints;

public sealed class HfCheckpointTests
{
    public HfCheckpointTests() => TorchRuntime.EnsureLoaded();

    private static void Dispose(Dictionary<string, Tensor> d) { foreach (var t in d.Values) t.Dispose(); }

    private static void WriteShardedModel(TempDirectory dir)
    {
        File.WriteAllText(dir.File("config.json"), new LlamaConfig().ToJson());
        using var embed = full(512, 64, 1f);
        using var q = full(64, 64, 2f);
        using var head = full(512, 64, 3f);
        SafetensorsFile.Write(dir.File("model-00001-of-00002.safetensors"), [("model.embed_tokens.weight", embed), ("model.layers.0.self_attn.q_proj.weight", q)]);
        SafetensorsFile.Write(dir.File("model-00002-of-00002.safetensors"), [("lm_head.weight", head)]);
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = 0 },
            ["weight_map"] = new JsonObject
            {
                ["model.embed_tokens.weight"] = "model-00001-of-00002.safetensors",
                ["model.layers.0.self_attn.q_proj.weight"] = "model-00001-of-00002.safetensors",
                ["lm_head.weight"] = "model-00002-of-00002.safetensors",
            },
        };
        File.WriteAllText(dir.File("model.safetensors.index.json"), index.ToJsonString());
    }

    [Fact]
    public void Sharded_checkpoint_loads_every_tensor_of_every_shard()
    {
        using var dir = new TempDirectory();
        WriteShardedModel(dir);
        var sd = HfCheckpointReader.ReadStateDict(dir.Path);
        try
        {
            Assert.Equal(3, sd.Count);
            Assert.Equal(2f, sd["model.layers.0.self_attn.q_proj.weight"][5, 5].item<float>());
            Assert.Equal(3f, sd["lm_head.weight"][0, 0].item<float>());
            Assert.Equal(64, HfCheckpointReader.ReadConfig(dir.Path).HiddenSize);
        }
        finally { Dispose(sd); }
    }

    [Fact]
    public void A_shard_named_in_the_index_but_absent_is_reported_by_name()
    {
        using var dir = new TempDirectory();
        WriteShardedModel(dir);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var ex = Assert.Throws<FileNotFoundException>(() => HfCheckpointReader.ReadStateDict(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
        Assert.Contains(dir.File("model.safetensors.index.json"), ex.Message);
    }

    [Fact]
    public void Missing_weights_and_bad_json_name_the_path()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<FileNotFoundException>(() => HfCheckpointReader.ReadStateDict(dir.Path));
        Assert.Contains(dir.Path, ex.Message);
        Assert.Contains(dir.File("config.json"), Assert.Throws<FileNotFoundException>(() => HfCheckpointReader.ReadConfig(dir.Path)).Message);

        File.WriteAllText(dir.File("config.json"), "{ not json");
        Assert.Contains(dir.File("config.json"), Assert.Throws<InvalidDataException>(() => HfCheckpointReader.ReadConfig(dir.Path)).Message);
        File.WriteAllText(dir.File("model.safetensors.index.json"), "[");
        Assert.Contains(dir.File("model.safetensors.index.json"), Assert.Throws<InvalidDataException>(() => HfCheckpointReader.ReadStateDict(dir.Path)).Message);

        var nowhere = Path.Combine(dir.Path, "absent");
        Assert.Contains(nowhere, Assert.Throws<DirectoryNotFoundException>(() => HfCheckpointReader.ReadStateDict(nowhere)).Message);
    }

    [Fact]
    public void Model_directory_writer_round_trips_config_and_bf16_weights()
    {
        using var dir = new TempDirectory();
        var config = new LlamaConfig { TieWordEmbeddings = true, EosTokenId = 2 };
        using var embed = randn(512, 64);
        using var norm = ones(64);
        HfModelDirectoryWriter.Write(dir.Path, config, [("model.embed_tokens.weight", embed), ("model.norm.weight", norm), ("lm_head.weight", embed)], "bfloat16");

        var readConfig = HfCheckpointReader.ReadConfig(dir.Path);
        Assert.Equal(config with { TorchDtype = "bfloat16" }, readConfig);
        var sd = HfCheckpointReader.ReadStateDict(dir.Path);
        try
        {
            Assert.Equal(["model.embed_tokens.weight", "model.norm.weight"], sd.Keys.Order()); // a tied head is not stored twice
            Assert.Equal(ScalarType.BFloat16, sd["model.embed_tokens.weight"].dtype);
            using var expected = embed.to(ScalarType.BFloat16);
            Assert.Equal(expected.bytes.ToArray(), sd["model.embed_tokens.weight"].bytes.ToArray());
        }
        finally { Dispose(sd); }
        Assert.Throws<ArgumentException>(() => HfModelDirectoryWriter.Write(dir.Path, config, [], "float16"));
    }

    [Fact]
    public void A_checkpoint_tensor_the_config_has_no_place_for_fails_the_load_by_name()
    {
        // e.g. a Llama checkpoint with attention biases whose config.json forgot attention_bias: the biases would be
        // dropped and the model would run, differently from the checkpoint's own.
        using var dir = new TempDirectory();
        using (var model = LlamaForCausalLM.Create(Model.Tiny.Config()).InitializeRandom(3)) BaseModel.Save(dir.Path, model);
        var tensors = SafetensorsFile.Read(dir.File("model.safetensors"));
        using var bias = zeros(64);
        using var invFreq = zeros(8);
        SafetensorsFile.Write(dir.File("model.safetensors"), tensors.Select(kv => (kv.Key, kv.Value))
            .Append(("model.layers.0.self_attn.o_proj.bias", bias)).Append(("model.layers.0.self_attn.rotary_emb.inv_freq", invFreq)));
        Dispose(tensors);
        var ex = Assert.Throws<InvalidDataException>(() => BaseModel.Load(dir.Path));
        Assert.Contains("no place in the model", ex.Message);
        Assert.Contains("model.layers.0.self_attn.o_proj.bias", ex.Message);
        Assert.DoesNotContain("inv_freq", ex.Message);   // derived buffers some checkpoints carry are fine
    }

    [Fact]
    public void A_tied_model_loads_a_checkpoint_that_also_stores_lm_head_and_uses_the_embeddings_as_transformers_does()
    {
        using var dir = new TempDirectory();
        var config = Model.Tiny.Config(c => c with { TieWordEmbeddings = true });
        using var scope = NewDisposeScope();
        using var original = LlamaForCausalLM.Create(config).InitializeRandom(3);
        BaseModel.Save(dir.Path, original);
        var tensors = SafetensorsFile.Read(dir.File("model.safetensors"));
        using var strayHead = randn(512, 64);
        SafetensorsFile.Write(dir.File("model.safetensors"), tensors.Select(kv => (kv.Key, kv.Value)).Append(("lm_head.weight", strayHead)));
        Dispose(tensors);

        using var loaded = BaseModel.Load(dir.Path);
        var ids = Model.Tiny.Ids(1, 8);
        Assert.True(Model.Tiny.BitEqual(original.Forward(ids), loaded.Model.Forward(ids)), "the stored lm_head was used");
    }

    [Fact]
    public void The_dtype_key_newer_transformers_write_is_read_like_torch_dtype()
    {
        var json = Model.Tiny.Config().ToJson().Replace("\"torch_dtype\"", "\"dtype\"").Replace("\"float32\"", "\"bfloat16\"");
        Assert.Equal("bfloat16", LlamaConfig.FromJson(json).TorchDtype);
    }
}
