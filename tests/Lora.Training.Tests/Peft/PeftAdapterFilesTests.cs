using System.Text.Json.Nodes;
using Lora.Training.Checkpoints;
using Lora.Training.Lora;
using Lora.Training.Model;
using Lora.Training.Peft;
using Lora.Training.Runtime;
using Lora.Training.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Peft;

public sealed class PeftAdapterFilesTests
{
    public PeftAdapterFilesTests() => TorchRuntime.EnsureLoaded();

    private static readonly LoraSettings QV = new() { Rank = 4, Alpha = 8, Dropout = 0.05, TargetModules = ["q_proj", "v_proj"] };

    [Fact]
    public void Saved_keys_shapes_and_dtypes_follow_peft()
    {
        using var dir = new TempDirectory();
        using var adapter = TinyAdapter.Create(QV);
        PeftAdapterFiles.Save(dir.Path, adapter, "tiny-llama");

        var tensors = SafetensorsFile.Read(dir.File("adapter_model.safetensors"));
        try
        {
            Assert.Equal(8, tensors.Count);
            var a = tensors["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"];
            var b = tensors["base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"];
            Assert.Equal(new long[] { 4, 64 }, a.shape);
            Assert.Equal(new long[] { 64, 4 }, b.shape);
            Assert.Equal(new long[] { 32, 4 }, tensors["base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"].shape);
            Assert.All(tensors.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    [Fact]
    public void Saved_config_has_the_fields_peft_writes()
    {
        using var dir = new TempDirectory();
        using var adapter = TinyAdapter.Create(QV);
        PeftAdapterFiles.Save(dir.Path, adapter, "tiny-llama");
        var c = JsonNode.Parse(File.ReadAllText(dir.File("adapter_config.json")))!.AsObject();

        Assert.Equal("LORA", (string?)c["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)c["task_type"]);
        Assert.Equal(4, (int)c["r"]!);
        Assert.Equal("8", c["lora_alpha"]!.ToJsonString()); // an int, as PEFT writes it
        Assert.Equal(0.05, (double)c["lora_dropout"]!);
        Assert.Equal("""["q_proj","v_proj"]""", c["target_modules"]!.ToJsonString());
        Assert.False((bool)c["use_rslora"]!);
        Assert.Equal("none", (string?)c["bias"]);
        Assert.Equal("tiny-llama", (string?)c["base_model_name_or_path"]);
        Assert.False((bool)c["fan_in_fan_out"]!);
        Assert.True((bool)c["inference_mode"]!);
        Assert.True((bool)c["init_lora_weights"]!);
        foreach (var nullField in new[] { "modules_to_save", "layers_to_transform", "revision" })
        {
            Assert.True(c.ContainsKey(nullField), nullField);
            Assert.Null(c[nullField]);
        }
        Assert.Equal("{}", c["rank_pattern"]!.ToJsonString());
        Assert.Equal("{}", c["alpha_pattern"]!.ToJsonString());
        Assert.False((bool)c["use_dora"]!);
        Assert.Equal(c.Select(p => p.Key).Order(StringComparer.Ordinal), c.Select(p => p.Key)); // sorted, as PEFT

        var gaussianAll = QV with { TargetModules = [LoraSettings.AllLinear], Init = LoraSettings.Gaussian, UseRsLora = true };
        using var all = TinyAdapter.Create(gaussianAll);
        var (_, json) = PeftAdapterFiles.ToBytes(all, "m");
        var g = JsonNode.Parse(json)!;
        Assert.Equal("\"all-linear\"", g["target_modules"]!.ToJsonString());
        Assert.Equal("gaussian", (string?)g["init_lora_weights"]);
        Assert.True((bool)g["use_rslora"]!);
    }

    [Fact]
    public void Save_then_load_restores_settings_and_exact_weights()
    {
        using var dir = new TempDirectory();
        var settings = QV with { TargetModules = [LoraSettings.AllLinear], UseRsLora = true, Alpha = 12.5 };
        using var adapter = TinyAdapter.Create(settings);
        PeftAdapterFiles.Save(dir.Path, adapter, "tiny");
        using var loaded = PeftAdapterFiles.Load(dir.Path);

        Assert.Equal(settings.Rank, loaded.Settings.Rank);
        Assert.Equal(settings.Alpha, loaded.Settings.Alpha);
        Assert.Equal(settings.Scaling, loaded.Settings.Scaling);
        Assert.Equal(settings.ResolvedTargets, loaded.Settings.ResolvedTargets);
        Assert.Equal(adapter.Pairs.Keys.Order(), loaded.Pairs.Keys.Order());
        foreach (var (path, pair) in adapter.Pairs)
        {
            Assert.Equal(pair.A.bytes.ToArray(), loaded.Pairs[path].A.bytes.ToArray());
            Assert.Equal(pair.B.bytes.ToArray(), loaded.Pairs[path].B.bytes.ToArray());
        }
        PeftAdapterFiles.ValidateAgainst(loaded, TinyAdapter.Config);
    }

    [Fact]
    public void Keys_with_an_adapter_name_segment_load()
    {
        using var dir = new TempDirectory();
        using var a = randn(4, 64);
        using var b = randn(64, 4);
        SafetensorsFile.Write(dir.File("adapter_model.safetensors"),
            [("base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight", a), ("base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight", b)]);
        File.WriteAllText(dir.File("adapter_config.json"), """{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"]}""");

        using var loaded = PeftAdapterFiles.Load(dir.Path);
        var pair = Assert.Single(loaded.Pairs);
        Assert.Equal("model.layers.0.self_attn.q_proj", pair.Key);
        Assert.Equal(b.bytes.ToArray(), pair.Value.B.bytes.ToArray());
    }

    [Fact]
    public void Broken_adapters_are_rejected_with_the_reason()
    {
        using var dir = new TempDirectory();
        Assert.Contains("adapter_config.json", Assert.Throws<FileNotFoundException>(() => PeftAdapterFiles.Load(dir.Path)).Message);

        using var a = randn(4, 64);
        using var b8 = randn(64, 8);
        using var b4 = randn(64, 4);
        const string config = """{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"]}""";
        const string q = "base_model.model.model.layers.0.self_attn.q_proj";
        string Error(IEnumerable<(string, Tensor)> tensors, string json = config) =>
            Assert.Throws<InvalidDataException>(() => PeftAdapterFiles.FromBytes(SafetensorsFile.ToBytes(tensors), json)).Message;

        Assert.Contains("has lora_A but no lora_B", Error([($"{q}.lora_A.weight", a)]));
        Assert.Contains("rank 4 but lora_B [64, 8] has rank 8", Error([($"{q}.lora_A.weight", a), ($"{q}.lora_B.weight", b8)]));
        Assert.Contains("r = 8", Error([($"{q}.lora_A.weight", a), ($"{q}.lora_B.weight", b4)], config.Replace("\"r\":4", "\"r\":8")));
        Assert.Contains("'PREFIX_TUNING'", Error([($"{q}.lora_A.weight", a), ($"{q}.lora_B.weight", b4)], config.Replace("LORA", "PREFIX_TUNING")));
        Assert.Contains("target_modules[1] must be a module name (got 5)",
            Error([($"{q}.lora_A.weight", a), ($"{q}.lora_B.weight", b4)], config.Replace("[\"q_proj\"]", "[\"q_proj\", 5]")));
        // PEFT would apply these to a rewritten base (PiSSA, OLoRA: W − s·B₀A₀), or compute more than B·A.
        (string, Tensor)[] pair = [($"{q}.lora_A.weight", a), ($"{q}.lora_B.weight", b4)];
        Assert.Contains("init_lora_weights = \"pissa\" is not supported", Error(pair, config.Replace("}", ",\"init_lora_weights\":\"pissa\"}")));
        Assert.Contains("init_lora_weights = \"olora\"", Error(pair, config.Replace("}", ",\"init_lora_weights\":\"olora\"}")));
        Assert.Contains("lora_bias = true", Error(pair, config.Replace("}", ",\"lora_bias\":true}")));
        Assert.Contains("use_qalora = true", Error(pair, config.Replace("}", ",\"use_qalora\":true}")));
        Assert.Contains("'layer_replication'", Error(pair, config.Replace("}", ",\"layer_replication\":[[0,2],[1,2]]}")));
        Assert.Contains("'loftq_config'", Error(pair, config.Replace("}", ",\"loftq_config\":{\"loftq_bits\":4}}")));
        using var ok = PeftAdapterFiles.FromBytes(SafetensorsFile.ToBytes(pair),
            config.Replace("}", ",\"init_lora_weights\":false,\"lora_bias\":false,\"layer_replication\":null,\"loftq_config\":{}}"));
        Assert.Single(ok.Pairs);
        using var orthogonal = PeftAdapterFiles.FromBytes(SafetensorsFile.ToBytes(pair), config.Replace("}", ",\"init_lora_weights\":\"orthogonal\"}"));
        Assert.Single(orthogonal.Pairs);   // a different start, the same W: plain LoRA once trained
    }

    [Fact]
    public void Shape_mismatch_against_a_base_names_module_and_shapes()
    {
        using var adapter = TinyAdapter.Create(QV);
        var wider = TinyAdapter.Config with { HiddenSize = 128, NumAttentionHeads = 8 };
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapterFiles.ValidateAgainst(adapter, wider));
        Assert.Contains("model.layers.0.self_attn.q_proj: expected lora_A [4, 128] and lora_B [128, 4], adapter has lora_A [4, 64] and lora_B [64, 4]", ex.Message);

        var shallow = TinyAdapter.Config with { NumHiddenLayers = 1 };
        Assert.Contains("model.layers.1.self_attn.q_proj: layer 1 does not exist",
            Assert.Throws<InvalidDataException>(() => PeftAdapterFiles.ValidateAgainst(adapter, shallow)).Message);
    }

    [Fact]
    public void Bytes_form_writes_a_loadable_directory_and_replaces_an_existing_one()
    {
        using var dir = new TempDirectory();
        var target = Path.Combine(dir.Path, "adapters", "job-1");
        using var first = TinyAdapter.Create(QV with { Rank = 8 }, seed: 1);
        var (bytes1, json1) = PeftAdapterFiles.ToBytes(first, "tiny");
        PeftAdapterFiles.WriteToDirectory(target, bytes1, json1);

        File.WriteAllText(Path.Combine(target, "README.md"), "mine");

        using var second = TinyAdapter.Create(QV, seed: 2);
        var (bytes2, json2) = PeftAdapterFiles.ToBytes(second, "tiny");
        PeftAdapterFiles.WriteToDirectory(target, bytes2, json2); // smaller files over larger ones

        Assert.Equal(bytes2, File.ReadAllBytes(Path.Combine(target, "adapter_model.safetensors")));
        Assert.Equal(json2, File.ReadAllText(Path.Combine(target, "adapter_config.json")));
        using var loaded = PeftAdapterFiles.Load(target);
        Assert.Equal(4, loaded.Settings.Rank);
        Assert.Equal(["README.md", "adapter_config.json", "adapter_model.safetensors"],
            Directory.GetFiles(target).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal));
        Assert.Single(Directory.GetFileSystemEntries(Path.Combine(dir.Path, "adapters"))); // no temp leftovers
        Assert.Throws<InvalidDataException>(() => PeftAdapterFiles.WriteToDirectory(target, [1, 2, 3], json2));
    }
}
