using Lora.Abstractions;
using Lora.Grains.Jobs;

namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>Storage failing at the worst moments: a job is neither lost, nor stuck, nor trained twice, nor retried
/// without end.</summary>
// In the cluster collection, so never in parallel with the cluster tests: this fixture loads another base model
// (SiloModelHost.LoadCount is process-wide, and AdapterGrainTests asserts it unchanged while 16 jobs train) and its
// silo's metrics share the process with theirs. The class fixture is still this class's own.
[Collection(ClusterCollection.Name)]
public sealed class StorageFaultTests(FaultyStorageFixture fixture) : IClassFixture<FaultyStorageFixture>, IDisposable
{
    private IClusterClient Client => fixture.Cluster.Client;

    public void Dispose() => FaultInjectingStorage.Decide = null;

    private static Func<string, object?, WriteFault> Once(Func<string, object?, bool> when, WriteFault fault)
    {
        var fired = 0;
        return (name, state) => when(name, state) && Interlocked.Exchange(ref fired, 1) == 0 ? fault : WriteFault.None;
    }

    /// <summary>A write of the job's record in the given state.</summary>
    private static Func<string, object?, bool> JobRecordWrite(string jobId, JobState state) =>
        (name, record) => name == "job" && record is AdapterJobState r && r.State == state && r.Spec?.JobId == jobId;

    private async Task<JobStatus> PollFinal(IAdapterGrain grain, Action<JobStatus>? observe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            JobStatus status;
            try { status = await grain.GetStatus(); }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(50); continue; }   // mid-deactivation
            observe?.Invoke(status);
            if (status.IsFinal || DateTime.UtcNow > deadline) return status;
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_submit_whose_record_landed_but_whose_reply_was_lost_trains_when_the_client_retries()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 5);
        FaultInjectingStorage.Decide = Once(JobRecordWrite(spec.JobId, JobState.Queued), WriteFault.AfterLanding);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, spec, Jobs.ReverseDataset()));
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());   // the client's retry: same spec, same data

        var final = await PollFinal(grain);
        Assert.True(final.State == JobState.Completed, $"{final.State} at step {final.Step}: {final.Error}");
        Assert.Equal(spec.JobId, (await Client.GetGrain<IJobIndexGrain>(0).Find(spec.JobId))?.JobId);
    }

    [Fact]
    public async Task A_failed_final_record_write_completes_the_job_without_training_it_again()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 12);
        FaultInjectingStorage.Decide = Once(JobRecordWrite(spec.JobId, JobState.Completed), WriteFault.Before);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());

        var steps = new List<int>();
        var final = await PollFinal(grain, s => steps.Add(s.Step));
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}");
        // Monotonic: the retrain this guards against went 12 → 0 → 1 → … after the failed write.
        Assert.True(steps.Zip(steps.Skip(1)).All(p => p.Second >= p.First), $"steps went back: {string.Join(",", steps.Distinct())}");
        Assert.Equal(spec.Steps, (await grain.GetLossHistory()).Length);
        Assert.NotEmpty((await grain.DownloadAdapter()).Safetensors);
    }

    [Fact]
    public async Task An_error_that_recurs_on_every_resume_fails_the_job_after_bounded_recoveries()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 50) with { CheckpointEverySteps = 2 };
        // Every checkpoint write fails (the job record still writes): each resume hits the same error again.
        FaultInjectingStorage.Decide = (name, state) => name == "adapter" && state is AdapterCheckpointState { Checkpoint: not null }
            ? WriteFault.Before : WriteFault.None;
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());

        var final = await PollFinal(grain);
        Assert.Equal(JobState.Failed, final.State);
        Assert.Contains("gave up after 5 recoveries", final.Error);
        Assert.Contains("injected", final.Error);
    }

    [Fact]
    public async Task A_submit_that_stored_nothing_gives_its_reserved_id_back_and_a_retry_succeeds()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 3);
        FaultInjectingStorage.Decide = Once((name, _) => name == "dataset", WriteFault.Before);
        var index = Client.GetGrain<IJobIndexGrain>(0);
        await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, spec, Jobs.ReverseDataset()));
        Assert.Null(await index.Find(spec.JobId));   // not left indexed with no record behind it

        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        Assert.NotNull(await index.Find(spec.JobId));
        var final = await PollFinal(Client.GetGrain<IAdapterGrain>(spec.GrainKey));
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}");
    }
}
