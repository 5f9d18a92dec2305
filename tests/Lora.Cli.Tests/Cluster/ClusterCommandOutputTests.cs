using System.Text.Json;
using Lora.Abstractions;
using Lora.Cli.Commands.Demo;

namespace Lora.Cli.Tests.Cluster;

/// <summary>The cluster commands end to end against a real silo, in process: everything they print reaches the
/// writers <see cref="LoraCli.RunAsync"/> was given (nothing on the process console), and --json is parseable.</summary>
[Collection(EmbeddedClusterCollection.Name)]
public sealed class ClusterCommandOutputTests(EmbeddedCluster cluster)
{
    [Fact]
    public async Task A_job_from_submit_to_delete_prints_only_to_the_invocation_writers()
    {
        var models = Parse(await cluster.RunAsync("models", "--json"));
        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("id").GetString() == DemoSettings.BaseModelId);
        Assert.Contains("Model", Ok(await cluster.RunAsync("models")).Stdout);   // a table (80 columns wide when not a terminal)

        var submit = Ok(await cluster.RunAsync("submit", "--base-model", DemoSettings.BaseModelId, "--data", cluster.DataFile,
            "--steps", "2", "--batch-size", "2", "--seq-len", "32"));
        var job = submit.Stdout.Trim();
        Assert.Matches("^job-[0-9a-f]{8}$", job);

        // watch --json: the bars go to stderr, stdout is the final statuses alone, like wait --json.
        var watched = Parse(await cluster.RunAsync("watch", job, "--json"));
        Assert.Equal([(job, "Completed")], watched.EnumerateArray().Select(s => (s.GetProperty("jobId").GetString(), s.GetProperty("state").GetString())));
        Assert.Equal("Completed", Parse(await cluster.RunAsync("wait", job, "--json"))[0].GetProperty("state").GetString());
        Assert.Contains("Base model", Ok(await cluster.RunAsync("status", job)).Stdout);
        Assert.Contains("Base model", Ok(await cluster.RunAsync("list")).Stdout);
        Ok(await cluster.RunAsync("watch", job));   // bars only: a non-terminal writer gets them at progress milestones

        // The cluster's generate --json carries "completion" like the local one, and keeps "text".
        var generated = Parse(await cluster.RunAsync("generate", "--job", job, "--prompt", "abc", "--max-new-tokens", "3", "--json"));
        Assert.Equal(generated.GetProperty("text").GetString(), generated.GetProperty("completion").GetString());
        Assert.Equal(job, generated.GetProperty("jobId").GetString());

        var outDir = Path.Combine(cluster.Root, "adapters", job);
        Assert.Contains(AdapterFiles.WeightsFileName, Ok(await cluster.RunAsync("download", job, "--out", outDir)).Stdout);
        var again = Parse(await cluster.RunAsync("download", job, "--out", outDir, "--json"));  // a re-download replaces the pair
        Assert.Equal(Path.Combine(outDir, AdapterFiles.ConfigFileName), again.GetProperty("configPath").GetString());
        var notes = Path.Combine(outDir, "notes.txt");
        await File.WriteAllTextAsync(notes, "mine");
        Ok(await cluster.RunAsync("download", job, "--out", outDir));   // the user's other files are left alone
        Assert.Equal("mine", await File.ReadAllTextAsync(notes));
        Assert.Contains($"cannot be created: '{notes}' is a file",
            (await cluster.RunAsync("download", job, "--out", Path.Combine(notes, "x"))).SingleErrorLine());

        Assert.Equal($"{job}: Completed", Ok(await cluster.RunAsync("cancel", job)).Stdout.Trim());
        Assert.True(Parse(await cluster.RunAsync("delete", job, "--json")).GetProperty("deleted").GetBoolean());
        Assert.Contains($"no job '{job}'", (await cluster.RunAsync("status", job)).SingleErrorLine());
    }

    [Fact]
    public async Task Generate_on_an_unknown_job_reports_on_the_invocation_error_writer() =>
        Assert.Contains("no job 'nobody'", (await cluster.RunAsync("generate", "--job", "nobody", "--prompt", "x")).SingleErrorLine());

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        return run;
    }

    private static JsonElement Parse(CliRun run) => JsonDocument.Parse(Ok(run).Stdout).RootElement.Clone();
}
