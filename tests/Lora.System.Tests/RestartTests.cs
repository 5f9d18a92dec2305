using System.Diagnostics;
using Lora.Abstractions;
using Lora.System.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Lora.System.Tests;

/// <summary>
/// Whole-cluster restart in the cluster profile: every silo stopped gracefully (SIGTERM), Redis shut down and started
/// again on its data, a new silo started. Finished adapters stay downloadable; the unfinished job resumes from the checkpoint its grain wrote
/// while deactivating (so almost nothing is redone) and equals a run that was never interrupted, bit for bit,
/// because it trained alone both times.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RestartTests(ITestOutputHelper output) : SystemTest
{
    [Fact]
    public async Task After_a_graceful_whole_cluster_restart_finished_adapters_remain_and_running_jobs_continue_exactly()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await RedisCluster.StartAsync(silos: 1);
        var data = TestJobs.ReverseDataset();
        // A long checkpoint interval: only the shutdown checkpoint can keep the redone work small.
        var done = TestJobs.Spec("restart-done", steps: 20);
        var running = TestJobs.Spec("restart-running", steps: 600, checkpointEvery: 100, seed: 7);   // far from done at the stop
        int stepAtStop;
        await using (var client = await cluster.ConnectAsync())
        {
            await client.StartTrainingAsync(done, data);
            var finished = (await TestJobs.WaitFinalAsync(client, [done.JobId], TimeSpan.FromMinutes(1)))[done.JobId];
            Assert.True(finished.State == JobState.Completed, $"{done.JobId}: {finished.State} {finished.Error}");
            await client.StartTrainingAsync(running, data);   // alone, like its reference below
            stepAtStop = (await TestJobs.WaitStepAsync(client, running.JobId, 130, TimeSpan.FromMinutes(3), cluster.Logs)).Step;
        }
        var stop = Stopwatch.StartNew();
        // Well over the silo's own 20 s shutdown timeout: a slow but orderly stop on a loaded CI box must not fail here.
        await cluster.Silos[0].StopAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"graceful stop at step ≥ {stepAtStop} took {stop.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("suspended at step", cluster.Silos[0].LogTail(5000));
        // Redis restarts too (node reboot, maintenance): everything must come back from its append-only file.
        await cluster.Redis.StopAsync();
        await cluster.Redis.StartAgainAsync();

        var restarted = await cluster.AddSiloAsync("restarted");
        await using var again = await cluster.ConnectAsync();
        await using var probe = await cluster.ProbeAsync();
        // The finished adapter is served from Redis by a silo that never trained it.
        var files = await again.DownloadAdapterAsync(done.JobId, Path.Combine(cluster.Root, "done"));
        Assert.True(new FileInfo(Path.Combine(cluster.Root, "done", AdapterFiles.WeightsFileName)).Length > 0, $"empty adapter: {files}");

        // The reminder (not a client call) re-activates the unfinished job: watch the silo's metrics only. The
        // completion counter counts jobs completing on this silo, so 1 is the resumed job finishing here.
        var wait = TestDeadline.For(TimeSpan.FromMinutes(3));
        while (Exposition.Parse(await restarted.ScrapeAsync()).Sum("lora_jobs_completed_total") < 1)
        {
            Assert.False(wait.Expired, $"unfinished job did not complete within {wait} after restart:\n{cluster.Logs()}");
            await Task.Delay(1000);
        }
        var resumed = KillTests.ResumedSteps(restarted.LogTail(5000));
        Assert.True(resumed.TryGetValue(running.JobId, out var from), $"no resume logged:\n{restarted.LogTail()}");
        output.WriteLine($"resumed from step {from} (last seen before stop {stepAtStop}): {Math.Max(0, stepAtStop - from)} steps redone; restart → done {clock.Elapsed.TotalSeconds:0} s total");
        Assert.True(from >= stepAtStop, $"resumed from {from}, but {stepAtStop} steps were done before the stop: shutdown did not checkpoint");

        var reference = running with { JobId = "restart-reference" };
        await again.StartTrainingAsync(reference, data);
        await TestJobs.WaitFinalAsync(again, [reference.JobId, running.JobId], TimeSpan.FromMinutes(2));
        var result = await AdapterComparison.CompareAsync(again, probe, running, reference, cluster.Root);
        output.WriteLine($"resumed vs reference: max |Δ| tensors {result.MaxTensorDiff:g3}, losses {result.MaxLossDiff:g3}");
        Assert.Equal(0, result.MaxTensorDiff);
        Assert.Equal(0, result.MaxLossDiff);
    }
}
