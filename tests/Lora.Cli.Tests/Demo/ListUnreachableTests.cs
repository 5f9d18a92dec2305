using Lora.Abstractions;
using Lora.Cli.Commands.Demo;
using Lora.Client;

namespace Lora.Cli.Tests.Demo;

/// <summary>`lora list` and the SDK's listing with one job whose base model no silo hosts (indexed while a silo for
/// it was up, say): the other jobs are still listed and the unreachable one is reported, not fatal.</summary>
public sealed class ListUnreachableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lora-list-test-").FullName;

    [Fact]
    public async Task A_job_on_an_unhosted_base_model_is_reported_apart_and_the_others_are_listed()
    {
        await using var silo = await EmbeddedSilo.StartAsync(0, 0, _dir, CancellationToken.None);
        await using var client = await LoraClusterClient.ConnectAsync(new LoraClientOptions
        {
            Gateway = silo.Gateway, ClusterId = DemoSettings.ClusterId, ServiceId = DemoSettings.ServiceId,
        });
        await WaitForModelAsync(client);
        var plan = DemoTasks.Plan(1, null)[0];
        var reachable = await client.StartTrainingAsync(new DemoSettings { Steps = 1 }.SpecFor(plan), plan.Jsonl);
        var ghost = new JobRef("ghost-1", "no-such-model");
        await silo.Grains.JobIndexFor(ghost.JobId).Register(ghost);

        var listing = await client.ListAllJobsAsync();
        Assert.Equal([reachable.JobId], listing.Jobs.Select(j => j.JobId));
        var unreachable = Assert.Single(listing.Unreachable);
        Assert.Equal(ghost, unreachable.Job);
        Assert.Contains("no-such-model", unreachable.Reason);
        Assert.Equal([reachable.JobId], (await client.ListJobsAsync()).Select(j => j.JobId));

        var run = await CliRun.RunAsync("list", "--json", "--gateway", silo.Gateway,
            "--cluster-id", DemoSettings.ClusterId, "--service-id", DemoSettings.ServiceId);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var warning = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("warning: job 'ghost-1' (base model 'no-such-model') is unavailable: ", warning);
    }

    private static async Task WaitForModelAsync(LoraClusterClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await client.ListModelsAsync()).Any(m => m.Id == DemoSettings.BaseModelId))
        {
            Assert.True(DateTime.UtcNow < deadline, "the embedded silo never registered its model");
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
