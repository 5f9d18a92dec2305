using Xunit.Abstractions;
using Lora.Reference;
using LoraPair = Lora.Training.Lora.LoraPair;
using Lora.Training.Lora;
using Lora.Training.Model;
using Lora.Training.Peft;
using static TorchSharp.torch;

namespace Lora.Cli.Tests;

/// <summary>`lora eval` against the independent double-precision reference on the very same files.</summary>
[Collection(TinyWorkspaceCollection.Name)]
public sealed class ReferenceAgreementTests(TinyWorkspace workspace, ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    /// <summary>&lt;s&gt; then printable bytes: ids the byte-level tokenizer of a tiny model would produce.</summary>
    private static readonly int[] Ids = [256, .. Enumerable.Range(0, 23).Select(i => 97 + (i * 7 % 26))];

    [Fact]
    public async Task Eval_OfTheBareBase_MatchesTheReference() =>
        await AssertAgrees(workspace.ModelDir, null);

    [Fact]
    public async Task Eval_WithTheTrainedAdapter_MatchesTheReference()
    {
        _ = workspace.TrainSummary;   // fails with train-local's own error if training did not produce the adapter
        await AssertAgrees(workspace.ModelDir, workspace.AdapterDir);
    }

    [Fact]
    public async Task Eval_OfABfloat16Checkpoint_MatchesTheReference()
    {
        var dir = Path.Combine(workspace.Root, "bf16");
        using (var fp32 = BaseModel.Load(workspace.ModelDir)) BaseModel.Save(dir, fp32.Model, "bfloat16");
        await AssertAgrees(dir, null);
        await AssertAgrees(dir, workspace.AdapterDir);
    }

    [Fact]
    public async Task Eval_OfAGroupedQueryModelWithARandomAdapter_MatchesTheReference()
    {
        var dir = Path.Combine(workspace.Root, "gqa");
        Assert.Equal(0, (await CliRun.RunAsync("model", "init-tiny", "--out", dir, "--hidden", "64", "--heads", "8", "--kv-heads", "2",
            "--layers", "2", "--seed", "11")).ExitCode);
        var adapterDir = Path.Combine(workspace.Root, "gqa-adapter");
        WriteRandomAdapter(adapterDir, dir, new LoraSettings { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "k_proj", "v_proj", "down_proj"] });
        await AssertAgrees(dir, null);
        await AssertAgrees(dir, adapterDir);
    }

    /// <summary>
    /// original_max_position_embeddings 16 puts the tiny model's 8 rotary pairs in all three llama3 bands
    /// (wavelengths 6.3 … 2·10⁴ against thresholds 4 and 16), so every branch of the scaling is compared.
    /// </summary>
    [Theory]
    [InlineData("""{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16}""")]
    [InlineData("""{"type": "linear", "factor": 4.0}""")]
    public async Task Eval_OfARopeScaledModel_MatchesTheReference(string ropeScaling)
    {
        var dir = Path.Combine(workspace.Root, "rope-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(workspace.ModelDir))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        config["rope_scaling"] = System.Text.Json.Nodes.JsonNode.Parse(ropeScaling);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());

        await AssertAgrees(dir, workspace.AdapterDir);
        var (cli, reference) = await AssertAgrees(dir, null);
        // A random tiny base barely uses position, so the check is relative: the agreement must be far tighter
        // than what scaling changes, or an implementation ignoring rope_scaling would pass too.
        var unscaled = ReferenceLlama.Load(workspace.ModelDir).MeanNextTokenLoss(Ids);
        Assert.True(Math.Abs(cli - reference) * 20 < Math.Abs(reference - unscaled),
            $"cli {cli}, reference {reference}, unscaled reference {unscaled}: agreement does not tell scaled from unscaled");
    }

    [Fact]
    public async Task Eval_OfText_ScoresBosFollowedByTheTextBytes()
    {
        var text = await CliRun.RunAsync("eval", "--model", workspace.ModelDir, "--text", "hello", "--json", "--threads", "1");
        var ids = await CliRun.RunAsync("eval", "--model", workspace.ModelDir, "--token-ids", "256 104 101 108 108 111", "--json", "--threads", "1");
        Assert.Equal(ids.Json().GetProperty("loss").GetDouble(), text.Json().GetProperty("loss").GetDouble());
        Assert.Equal(5, text.Json().GetProperty("tokens").GetInt32());
    }

    [Fact]
    public async Task Eval_OfJsonlData_CountsOnlyCompletionTokens()
    {
        var file = Path.Combine(workspace.Root, "two.jsonl");
        File.WriteAllLines(file, ["{\"prompt\": \"ab=\", \"completion\": \"ba\"}", "{\"prompt\": \"xyz=\", \"completion\": \"zyx\"}"]);
        var json = (await CliRun.RunAsync("eval", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir, "--data", file, "--json", "--threads", "1")).Json();
        Assert.Equal((2 + 1) + (3 + 1), json.GetProperty("tokens").GetInt32());   // completion tokens + one </s> each
        Assert.True(double.IsFinite(json.GetProperty("loss").GetDouble()));
    }

    private async Task<(double Cli, double Reference)> AssertAgrees(string modelDir, string? adapterDir)
    {
        string[] args = ["eval", "--model", modelDir, "--token-ids", string.Join(' ', Ids), "--json", "--threads", "1"];
        if (adapterDir is not null) args = [.. args, "--adapter", adapterDir];
        var json = (await CliRun.RunAsync(args)).Json();
        var reference = adapterDir is null ? ReferenceLlama.Load(modelDir) : ReferenceLlama.Load(modelDir, adapterDir);
        var expected = reference.MeanNextTokenLoss(Ids);
        var actual = json.GetProperty("loss").GetDouble();
        output.WriteLine($"{Path.GetFileName(modelDir)} adapter={adapterDir is not null}: cli {actual:F7} reference {expected:F7} |diff| {Math.Abs(actual - expected):E2}");
        Assert.Equal(Ids.Length - 1, json.GetProperty("tokens").GetInt32());
        Assert.True(Math.Abs(actual - expected) <= Tolerance, $"cli {actual} vs reference {expected}");
        return (actual, expected);
    }

    /// <summary>Nonzero A and B, so the adapter changes every targeted layer's output (a fresh B = 0 would test nothing).</summary>
    private static void WriteRandomAdapter(string dir, string modelDir, LoraSettings settings)
    {
        using var model = BaseModel.Load(modelDir);
        using var generator = new TorchSharp.torch.Generator(42);
        var pairs = new Dictionary<string, LoraPair>();
        for (var layer = 0; layer < model.Config.NumHiddenLayers; layer++)
        {
            foreach (var module in settings.ResolvedTargets)
            {
                var (o, i) = model.Config.LinearShape(module);
                pairs[LlamaConfig.ModulePath(layer, module)] = new LoraPair(
                    randn([settings.Rank, i], generator: generator).mul(0.2), randn([o, settings.Rank], generator: generator).mul(0.2));
            }
        }
        using var weights = new AdapterWeights(settings, pairs);
        PeftAdapterFiles.Save(dir, weights, Path.GetFullPath(modelDir));
    }
}
