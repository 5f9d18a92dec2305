using Lora.Abstractions;
using Lora.Client;
using Lora.System.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Lora.System.Tests;

/// <summary>What a job leaves in a real silo's file storage: the dataset once, and only while the job runs; nothing
/// once deleted.</summary>
[Collection(SystemCollection.Name)]
public sealed class StorageFootprintTests(ITestOutputHelper output) : SystemTest
{
    [Fact]
    public async Task Checkpoints_rewrite_a_small_job_record_a_finished_job_keeps_no_dataset_and_a_deleted_one_nothing()
    {
        var root = Directory.CreateTempSubdirectory("lora-footprint-").FullName;
        await using var silo = await SiloProcess.StartAsync("footprint", root);
        await using var client = await LoraClusterClient.ConnectAsync(new LoraClientOptions { Gateway = silo.Gateway });
        var records = TestJobs.ReverseDataset();
        var data = string.Join("\n", Enumerable.Repeat(records, 4 * (1 << 20) / records.Length + 1));   // ~4 MiB
        var spec = TestJobs.Spec("footprint", steps: 30, checkpointEvery: 1) with { EvalFraction = 0.001 };
        await client.StartTrainingAsync(spec, data);

        // Submit stores the dataset before it returns, and the job drops it only once final: look right away, then
        // while the job runs (a job already final at the first status call must not make the test fail).
        var grains = Path.Combine(root, "grains");
        var sawDataset = Files(grains, "dataset").Any(f => f.Length > data.Length);
        var wait = TestDeadline.For(TimeSpan.FromMinutes(3));
        JobStatus status;
        while (!(status = await client.GetStatusAsync(spec.JobId)).IsFinal)
        {
            sawDataset |= Files(grains, "dataset").Any(f => f.Length > data.Length);
            Assert.False(wait.Expired,
                $"{spec.JobId} not final after {wait}: {status.State} at step {status.Step} of {status.TotalSteps}: {status.Error}\n{silo.LogTail()}");
            await Task.Delay(100);
        }
        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Error}");
        Assert.True(sawDataset, "the dataset was never stored on its own while the job ran");

        var record = Assert.Single(Files(grains, "job"));
        Assert.True(record.Length < 64 * 1024, $"the job record is {record.Length} bytes for a {data.Length}-char dataset: checkpoints rewrite the dataset");
        // The dataset goes right after the final record is written, which status queries can see first.
        for (var dropped = TestDeadline.For(TimeSpan.FromSeconds(10)); !dropped.Expired && Files(grains, "dataset").Length > 0;) await Task.Delay(100);
        Assert.Empty(Files(grains, "dataset"));
        Assert.Single(Files(grains, "adapter"));

        var metrics = Exposition.Parse(await silo.ScrapeAsync());
        var (sum, count) = (metrics.Sum("lora_checkpoint_duration_seconds_sum"), metrics.Sum("lora_checkpoint_duration_seconds_count"));
        Assert.True(count >= spec.Steps - 1, $"{count} checkpoints for {spec.Steps} steps checkpointed every step");
        output.WriteLine($"job record {record.Length} bytes, dataset {data.Length} chars; {count} checkpoints, mean {1000 * sum / count:F1} ms");

        // The hash, not the dropped dataset, recognises a repeat of the finished job and tells a different one apart.
        Assert.Equal(JobState.Completed, (await client.StartTrainingAsync(spec, data)).State);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => client.StartTrainingAsync(spec, records));
        Assert.Contains("different spec or dataset", e.Message);

        // Deleting leaves nothing of the job on disk, and the id is free again.
        await client.DeleteAsync(spec.JobId);
        Assert.Empty(Files(grains, "job"));
        Assert.Empty(Files(grains, "adapter"));
        Assert.Empty(Files(grains, "dataset"));
        Assert.Contains("no job", (await Assert.ThrowsAsync<LoraClientException>(() => client.GetStatusAsync(spec.JobId))).Message);
        Assert.DoesNotContain(await client.ListJobsAsync(), j => j.JobId == spec.JobId);
        Assert.Equal(JobState.Queued, (await client.StartTrainingAsync(spec with { Steps = 2 }, records)).State);
    }

    private static FileInfo[] Files(string grains, string state) =>
        Directory.Exists(Path.Combine(grains, state)) ? new DirectoryInfo(Path.Combine(grains, state)).GetFiles("*.bin") : [];
}
