using System.Text.Json.Nodes;
using Lora.Training.Model;

namespace Lora.Cli.Tests;

public sealed class InitTinyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lora-cli-init-").FullName;

    [Fact]
    public async Task InitTiny_WritesAHuggingFaceLlamaDirectoryThatLoadsWithTheGivenShape()
    {
        var dir = Path.Combine(_root, "m");
        var run = await CliRun.RunAsync("model", "init-tiny", "--out", dir, "--layers", "3", "--hidden", "32", "--heads", "4",
            "--kv-heads", "1", "--intermediate", "48", "--vocab", "300", "--seed", "5");
        Assert.True(run.ExitCode == 0, run.Stderr);

        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("llama", (string?)json["model_type"]);

        using var model = BaseModel.Load(dir);
        var c = model.Config;
        Assert.Equal((3, 32, 4, 1, 48, 300), (c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.IntermediateSize, c.VocabSize));
        Assert.Equal((256, 257), (c.BosTokenId, c.EosTokenId));
        Assert.Equal(256, model.Tokenizer.BosId);
    }

    [Fact]
    public async Task InitTiny_WithTheSameSeed_IsByteIdentical_AndAnotherSeedDiffers()
    {
        async Task<byte[]> Weights(string name, int seed)
        {
            var run = await CliRun.RunAsync("model", "init-tiny", "--out", Path.Combine(_root, name), "--seed", $"{seed}");
            Assert.True(run.ExitCode == 0, run.Stderr);
            return await File.ReadAllBytesAsync(Path.Combine(_root, name, "model.safetensors"));
        }

        var a = await Weights("a", 3);
        Assert.Equal(a, await Weights("b", 3));
        var other = await Weights("c", 4);
        Assert.Equal(a.Length, other.Length);   // same shapes: only the values may differ
        Assert.NotEqual(a, other);
    }

    [Fact]
    public async Task InitTiny_RefusesToOverwriteAModelWithoutForce()
    {
        var dir = Path.Combine(_root, "m");
        Assert.Equal(0, (await CliRun.RunAsync("model", "init-tiny", "--out", dir)).ExitCode);
        Assert.Contains("--force", (await CliRun.RunAsync("model", "init-tiny", "--out", dir)).SingleErrorLine());
        Assert.Equal(0, (await CliRun.RunAsync("model", "init-tiny", "--out", dir, "--force")).ExitCode);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
