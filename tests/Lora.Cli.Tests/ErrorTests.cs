namespace Lora.Cli.Tests;

/// <summary>Every failure is exit code 1 and one "error: …" line naming the problem, never a stack trace.</summary>
[Collection(TinyWorkspaceCollection.Name)]
public sealed class ErrorTests(TinyWorkspace workspace)
{
    [Fact]
    public async Task MissingModelDirectory_IsNamed()
    {
        var missing = Path.Combine(workspace.Root, "no-such-model");
        var line = (await CliRun.RunAsync("eval", "--model", missing, "--text", "hi")).SingleErrorLine();
        Assert.Contains("--model", line);
        Assert.Contains(missing, line);
    }

    [Fact]
    public async Task UnknownTargetModule_IsNamed()
    {
        var line = (await Train("--targets", "q_proj,qq_proj")).SingleErrorLine();
        Assert.Contains("qq_proj", line);
    }

    [Fact]
    public async Task ZeroRank_IsRejected()
    {
        var line = (await Train("--rank", "0")).SingleErrorLine();
        Assert.Contains("rank", line);
        Assert.Contains("0", line);
    }

    [Fact]
    public async Task MalformedJsonlLine_IsReportedAsFileColonLine()
    {
        var file = Path.Combine(workspace.Root, "bad.jsonl");
        File.WriteAllLines(file, ["{\"text\": \"fine\"}", "{\"text\": \"fine too\"}", "{\"text\": oops}"]);
        var line = (await CliRun.RunAsync("train-local", "--model", workspace.ModelDir, "--data", file, "--out",
            Path.Combine(workspace.Root, "never"), "--steps", "1", "--threads", "1")).SingleErrorLine();
        Assert.Contains($"{file}:3", line);
    }

    [Fact]
    public async Task AdapterForADifferentShapeBase_IsRejectedNamingModuleAndShapes()
    {
        var other = Path.Combine(workspace.Root, "wider");
        Assert.Equal(0, (await CliRun.RunAsync("model", "init-tiny", "--out", other, "--hidden", "32", "--intermediate", "64")).ExitCode);
        var line = (await CliRun.RunAsync("eval", "--model", other, "--adapter", workspace.AdapterDir, "--token-ids", "256 97 98")).SingleErrorLine();
        Assert.Contains("does not fit", line);
        Assert.Contains("q_proj", line);
        Assert.Contains("[8, 32]", line);   // what this base expects of lora_A
    }

    [Fact]
    public async Task OutOfRangeTokenId_IsNamed()
    {
        var line = (await CliRun.RunAsync("eval", "--model", workspace.ModelDir, "--token-ids", "256 97 512 98")).SingleErrorLine();
        Assert.Contains("512", line);
        Assert.Contains("vocabulary", line);
    }

    [Fact]
    public async Task ArgumentErrors_AreOneLineToo()
    {
        Assert.Contains("--model", (await CliRun.RunAsync("eval", "--text", "hi")).SingleErrorLine());
        Assert.Contains("--bogus", (await CliRun.RunAsync("eval", "--model", workspace.ModelDir, "--bogus")).SingleErrorLine());
        Assert.Contains("exactly one", (await CliRun.RunAsync("eval", "--model", workspace.ModelDir)).SingleErrorLine());
    }

    [Fact]
    public async Task TrainLocal_OutAtAnExistingFile_FailsBeforeTraining()
    {
        var file = Path.Combine(workspace.Root, "not-a-dir.txt");
        await File.WriteAllTextAsync(file, "keep");
        // Ten million steps: training first would still be running when the hang guard cancels it, and the error line
        // would be the cancellation instead.
        var line = (await CliRun.RunGuardedAsync("train-local", "--model", workspace.ModelDir, "--data", workspace.DataFile, "--out", file,
            "--steps", "10000000", "--threads", "1")).SingleErrorLine();
        Assert.Contains($"--out: '{file}' is an existing file", line);
        Assert.Equal("keep", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task LocalGenerate_ZeroNewTokens_IsRejectedLikeOnTheCluster()
    {
        var line = (await CliRun.RunAsync("generate", "--model", workspace.ModelDir, "--prompt", "hi", "--max-new-tokens", "0")).SingleErrorLine();
        Assert.Contains("--max-new-tokens must be at least 1 (got 0)", line);
    }

    [Fact]
    public async Task PretrainBuiltin_NegativeThreads_IsRejectedLikeTheOtherLocalCommands()
    {
        var expected = (await CliRun.RunAsync("eval", "--model", workspace.ModelDir, "--text", "hi", "--threads", "-1")).SingleErrorLine();
        var line = (await CliRun.RunAsync("model", "pretrain-builtin", "--out", Path.Combine(workspace.Root, "never-pretrained"),
            "--threads", "-1")).SingleErrorLine();
        Assert.Equal(expected, line);
        Assert.Contains("--threads must be >= 0 (got -1)", line);
    }

    [Fact]
    public async Task Help_SucceedsOnStdout()
    {
        var run = await CliRun.RunAsync("train-local", "--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--grad-accum", run.Stdout);
        Assert.Equal("", run.Stderr);
    }

    private Task<CliRun> Train(params string[] extra) => CliRun.RunAsync(
        ["train-local", "--model", workspace.ModelDir, "--data", workspace.DataFile, "--out", Path.Combine(workspace.Root, "never"),
         "--steps", "1", "--threads", "1", .. extra]);
}
