using Lora.Abstractions;
using Lora.Client;
using Lora.System.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Lora.System.Tests;

/// <summary>Failures a real silo must contain: a diverging job, a corrupt checkpoint on disk, Redis stalling,
/// restarting or crashing.</summary>
[Collection(SystemCollection.Name)]
public sealed class BadInputTests(ITestOutputHelper output) : SystemTest
{
    [Fact]
    public async Task A_diverging_job_fails_with_its_reason_and_the_silo_keeps_serving()
    {
        var root = Directory.CreateTempSubdirectory("lora-bad-").FullName;
        await using var silo = await SiloProcess.StartAsync("nan", root);
        await using var client = await LoraClusterClient.ConnectAsync(new LoraClientOptions { Gateway = silo.Gateway });
        var data = TestJobs.ReverseDataset();
        await client.StartTrainingAsync(TestJobs.Spec("nan", steps: 50, lr: 1e6), data);
        var failed = (await TestJobs.WaitFinalAsync(client, ["nan"], TimeSpan.FromMinutes(1)))["nan"];
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Matches("NaN|infinite|non-finite", failed.Error ?? "");
        Assert.True(await silo.IsHealthyAsync(), silo.LogTail());

        await client.StartTrainingAsync(TestJobs.Spec("after-nan", steps: 20), data);
        var ok = (await TestJobs.WaitFinalAsync(client, ["after-nan"], TimeSpan.FromMinutes(1)))["after-nan"];
        Assert.True(ok.State == JobState.Completed, $"{ok.State}: {ok.Error}");
    }

    [Fact]
    public async Task A_corrupt_stored_checkpoint_fails_the_job_clearly()
    {
        var root = Directory.CreateTempSubdirectory("lora-bad-").FullName;
        var spec = TestJobs.Spec("corrupt", steps: 400, checkpointEvery: 5);
        await using (var first = await SiloProcess.StartAsync("before", root))
        {
            await using var client = await LoraClusterClient.ConnectAsync(new LoraClientOptions { Gateway = first.Gateway });
            await client.StartTrainingAsync(spec, TestJobs.ReverseDataset());
            await TestJobs.WaitStepAsync(client, spec.JobId, 12, TimeSpan.FromMinutes(3), () => first.LogTail());
            first.Kill();
        }
        // Damage one parameter byte of the checkpoint inside the stored adapter state: the storage envelope still
        // reads, so it is the checkpoint's own checksum that has to catch it.
        // "*.bin" only: a SIGKILL during an atomic write leaves a stray .tmp beside the intact state file.
        var file = Directory.GetFiles(Path.Combine(root, "grains", "adapter"), "*.bin").Single();
        var bytes = await File.ReadAllBytesAsync(file);
        var at = bytes.AsSpan().IndexOf("2KCL"u8);
        Assert.True(at >= 0, "no checkpoint magic in the stored adapter state");
        bytes[at + 64] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);

        await using var second = await SiloProcess.StartAsync("after", root);
        await using var again = await LoraClusterClient.ConnectAsync(new LoraClientOptions { Gateway = second.Gateway });
        var status = (await TestJobs.WaitFinalAsync(again, [spec.JobId], TimeSpan.FromMinutes(1)))[spec.JobId];
        output.WriteLine($"{status.State}: {status.Error}");
        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("checkpoint is corrupt: checkpoint: checksum mismatch", status.Error ?? "", StringComparison.Ordinal);
        Assert.True(await second.IsHealthyAsync(), second.LogTail());
    }

    [Fact]
    public async Task A_Redis_crash_mid_training_still_ends_with_the_adapter_of_an_uninterrupted_run()
    {
        await using var cluster = await RedisCluster.StartAsync(silos: 1);
        await using var client = await cluster.ConnectAsync();
        await using var probe = await cluster.ProbeAsync();
        var data = TestJobs.ReverseDataset();
        var spec = TestJobs.Spec("redis-crash", steps: 300, checkpointEvery: 5, seed: 3);
        await client.StartTrainingAsync(spec, data);
        await TestJobs.WaitStepAsync(client, spec.JobId, 30, TimeSpan.FromMinutes(3), cluster.Logs);
        // SIGKILL: the append-only file (fsync every second) may lack the last writes, so the grain's view of its
        // stored state can be ahead of what Redis comes back with.
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(cluster.Redis.Dir, $"redis-{cluster.Redis.Port}.pid")));
        // Read just before the kill (a tiny job does far fewer steps between the two than it has left): a job that
        // had already finished, or had only its last steps left, would make the crash prove nothing.
        var atCrash = await client.GetStatusAsync(spec.JobId);
        Signals.Send(pid, Signals.SigKill);
        output.WriteLine($"Redis SIGKILLed with the job {atCrash.State} at step {atCrash.Step} of {spec.Steps}");
        Assert.True(!atCrash.IsFinal && atCrash.Step <= spec.Steps - 50,
            $"the job was {atCrash.State} at step {atCrash.Step} of {spec.Steps} when Redis crashed: the crash interrupted (almost) nothing");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await cluster.Redis.StartAgainAsync();

        var status = (await TestJobs.WaitFinalAsync(client, [spec.JobId], TimeSpan.FromMinutes(3)))[spec.JobId];
        output.WriteLine($"{status.State} at step {status.Step}: {status.Error}; {StorageRecovery(cluster.Silos[0])}");
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}\n{cluster.Logs()}");
        Assert.True(await cluster.Silos[0].IsHealthyAsync(), cluster.Silos[0].LogTail());

        var reference = spec with { JobId = "redis-crash-reference" };
        await client.StartTrainingAsync(reference, data);
        await TestJobs.WaitFinalAsync(client, [reference.JobId], TimeSpan.FromMinutes(2));
        var result = await AdapterComparison.CompareAsync(client, probe, spec, reference, cluster.Root);
        output.WriteLine($"after the crash vs reference: max |Δ| tensors {result.MaxTensorDiff:g3}, losses {result.MaxLossDiff:g3}");
        Assert.Equal(0, result.MaxTensorDiff);
        Assert.Equal(0, result.MaxLossDiff);
    }

    [Fact]
    public async Task Training_survives_Redis_stalling_then_going_away_and_coming_back()
    {
        await using var cluster = await RedisCluster.StartAsync(silos: 1);
        await using var client = await cluster.ConnectAsync();
        await using var probe = await cluster.ProbeAsync();
        var spec = TestJobs.Spec("redis-blip", steps: 300, checkpointEvery: 5);
        await client.StartTrainingAsync(spec, TestJobs.ReverseDataset());
        await TestJobs.WaitStepAsync(client, spec.JobId, 20, TimeSpan.FromMinutes(3), cluster.Logs);
        // SIGSTOP: connections stay open but nothing answers, like a partition; worse for clients than a refusal.
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(cluster.Redis.Dir, $"redis-{cluster.Redis.Port}.pid")));
        Signals.Send(pid, Signals.SigStop);
        await Task.Delay(TimeSpan.FromSeconds(8));
        Signals.Send(pid, Signals.SigCont);
        // Then a real outage: Redis shut down (connections refused) and started again on its data a few seconds later.
        var before = (await client.GetStatusAsync(spec.JobId)).Step;
        await cluster.Redis.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(5));
        await cluster.Redis.StartAgainAsync();
        output.WriteLine($"Redis restarted at step ≥ {before}");

        var status = (await TestJobs.WaitFinalAsync(client, [spec.JobId], TimeSpan.FromMinutes(3)))[spec.JobId];
        output.WriteLine($"{status.State} at step {status.Step}: {status.Error}; {StorageRecovery(cluster.Silos[0])}");
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}\n{cluster.Logs()}");
        Assert.Equal(spec.Steps, (await probe.LossHistory(spec)).Length);
        Assert.True(await cluster.Silos[0].IsHealthyAsync(), cluster.Silos[0].LogTail());
    }

    /// <summary>How the silo got through a Redis outage: activations paused by a storage error, and resumes from a
    /// stored checkpoint (0 and 0 when the client library rode through it).</summary>
    private static string StorageRecovery(SiloProcess silo)
    {
        var log = silo.LogTail(20000);
        return $"storage pauses logged: {log.Split("paused by a storage error").Length - 1}, resumes: {KillTests.ResumedSteps(log).Count}";
    }
}
