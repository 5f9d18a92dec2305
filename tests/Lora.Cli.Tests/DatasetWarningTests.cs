using System.Text.Json;

namespace Lora.Cli.Tests;

/// <summary>Records cut or dropped to fit a sequence are reported on the invocation's stderr, never silently.</summary>
[Collection(TinyWorkspaceCollection.Name)]
public sealed class DatasetWarningTests(TinyWorkspace workspace)
{
    [Fact]
    public async Task Eval_OnDataWithAPromptLongerThanTheContext_WarnsOnStderr()
    {
        var file = DataWithOneOverlongPrompt("eval-long.jsonl", promptChars: 600);   // the tiny model's context is 512
        var run = await CliRun.RunAsync("eval", "--model", workspace.ModelDir, "--data", file, "--json", "--threads", "1");
        run.Json();
        Assert.Contains($"warning: {file}: 1 of 2 prompt/completion records were cut to seq_len 512", run.Stderr);
    }

    [Fact]
    public async Task TrainLocal_OnDataWithAPromptLongerThanSeqLen_WarnsOnTheInvocationsStderr()
    {
        var file = DataWithOneOverlongPrompt("train-long.jsonl", promptChars: 40);
        var run = await CliRun.RunAsync("train-local", "--model", workspace.ModelDir, "--data", file,
            "--out", Path.Combine(workspace.Root, "warned-adapter"), "--steps", "1", "--seq-len", "16", "--eval-fraction", "0",
            "--threads", "1", "--json");
        run.Json();
        Assert.Contains($"warning: {file}: 1 of 2 prompt/completion records were cut to seq_len 16", run.Stderr);
    }

    private string DataWithOneOverlongPrompt(string name, int promptChars)
    {
        var file = Path.Combine(workspace.Root, name);
        File.WriteAllLines(file,
        [
            JsonSerializer.Serialize(new { prompt = "ab=", completion = "ba" }),
            JsonSerializer.Serialize(new { prompt = new string('a', promptChars) + "=", completion = "a" }),
        ]);
        return file;
    }
}
