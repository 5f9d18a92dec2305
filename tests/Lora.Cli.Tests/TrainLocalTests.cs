using Xunit.Abstractions;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lora.Cli.Tests;

[Collection(TinyWorkspaceCollection.Name)]
public sealed class TrainLocalTests(TinyWorkspace workspace, ITestOutputHelper output)
{
    [Fact]
    public void TrainLocal_OnTheReversalTask_LowersHeldOutLoss()
    {
        var s = workspace.TrainSummary;
        output.WriteLine(s.ToString());
        Assert.Equal(80, s.GetProperty("steps").GetInt32());
        Assert.True(s.GetProperty("finalEvalLoss").GetDouble() < s.GetProperty("baseEvalLoss").GetDouble() - 0.1, s.ToString());
        Assert.True(s.GetProperty("finalTrainLoss").GetDouble() < s.GetProperty("initialTrainLoss").GetDouble(), s.ToString());
        Assert.True(s.GetProperty("tokens").GetInt64() > 0);
        Assert.True(s.GetProperty("tokensPerSecond").GetDouble() > 0);
        Assert.Equal(workspace.AdapterDir, s.GetProperty("out").GetString());
    }

    [Fact]
    public void TrainLocal_WritesPeftSafetensorsWithPeftKeysShapesAndFloat32()
    {
        var header = SafetensorsHeader(Path.Combine(workspace.AdapterDir, "adapter_model.safetensors"));
        var tensors = header.Where(p => p.Key != "__metadata__").ToDictionary(p => p.Key, p => p.Value!);
        // all-linear on 2 layers: 7 modules × 2 factors × 2 layers. hidden 64, heads 4 (head_dim 16), kv 2, intermediate 128.
        Assert.Equal(28, tensors.Count);
        var expected = new Dictionary<string, (int Out, int In)>
        {
            ["self_attn.q_proj"] = (64, 64), ["self_attn.k_proj"] = (32, 64), ["self_attn.v_proj"] = (32, 64), ["self_attn.o_proj"] = (64, 64),
            ["mlp.gate_proj"] = (128, 64), ["mlp.up_proj"] = (128, 64), ["mlp.down_proj"] = (64, 128),
        };
        for (var layer = 0; layer < 2; layer++)
        {
            foreach (var (module, (o, i)) in expected)
            {
                var prefix = $"base_model.model.model.layers.{layer}.{module}";
                AssertTensor(tensors, $"{prefix}.lora_A.weight", [8, i]);
                AssertTensor(tensors, $"{prefix}.lora_B.weight", [o, 8]);
            }
        }
    }

    [Fact]
    public void TrainLocal_WritesPeftAdapterConfigNamingTheBaseModelDirectory()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(workspace.AdapterDir, "adapter_config.json")))!;
        Assert.Equal("LORA", (string?)config["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)config["task_type"]);
        Assert.Equal(8, (int?)config["r"]);
        Assert.Equal(16.0, (double?)config["lora_alpha"]);
        Assert.Equal(Path.GetFullPath(workspace.ModelDir), (string?)config["base_model_name_or_path"]);
        var targets = config["target_modules"]!;
        var names = targets is JsonArray a ? a.Select(n => (string)n!).ToArray() : [(string)targets!];
        Assert.True(names.SequenceEqual(["all-linear"]) || names.Order().SequenceEqual(
            new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" }.Order()), string.Join(",", names));
    }

    [Fact]
    public async Task TrainLocal_WithJson_PrintsOnlyTheResultObjectOnStdout()
    {
        var dir = Path.Combine(workspace.Root, "short-adapter");
        var run = await CliRun.RunAsync("train-local", "--model", workspace.ModelDir, "--data", workspace.DataFile, "--out", dir,
            "--steps", "3", "--seq-len", "16", "--threads", "1", "--json");
        var json = run.Json();
        foreach (var key in new[] { "initialTrainLoss", "finalTrainLoss", "baseEvalLoss", "finalEvalLoss", "steps", "tokens", "tokensPerSecond", "out" })
            Assert.True(json.TryGetProperty(key, out _), key);
        Assert.StartsWith("{", run.Stdout);   // the progress display never mixes into the JSON
    }

    private static void AssertTensor(Dictionary<string, JsonNode> tensors, string key, int[] shape)
    {
        Assert.True(tensors.TryGetValue(key, out var t), $"missing {key}; have {string.Join(", ", tensors.Keys.Take(4))}…");
        Assert.Equal("F32", (string?)t!["dtype"]);
        Assert.Equal(shape, t["shape"]!.AsArray().Select(n => (int)n!).ToArray());
    }

    /// <summary>Read independently of the code under test: u64 little-endian header length, then a JSON header.</summary>
    private static JsonObject SafetensorsHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
    }
}
