using Lora.Abstractions;
using Lora.Grains.Jobs;
using Orleans.Runtime;
using static Lora.Cluster.Tests.StorageFaults.Faults;

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

    public void Dispose()
    {
        FaultInjectingStorage.Decide = null;
        FaultInjectingStorage.Stall?.Release();   // a test that failed midway must not leave a write hanging in the silo
        FaultInjectingStorage.Stall = null;
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
        Assert.Equal(spec.JobId, (await Client.JobIndexFor(spec.JobId).Find(spec.JobId))?.JobId);
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
        var index = Client.JobIndexFor(spec.JobId);
        await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, spec, Jobs.ReverseDataset()));
        Assert.Null(await index.Find(spec.JobId));   // not left indexed with no record behind it

        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        Assert.NotNull(await index.Find(spec.JobId));
        var final = await PollFinal(Client.GetGrain<IAdapterGrain>(spec.GrainKey));
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}");
    }

    [Fact]
    public async Task A_final_record_lost_after_the_adapter_was_stored_still_leaves_the_full_history_and_eval_loss()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 12);   // checkpoints at 5 and 10
        // Every record write after the finished adapter's is lost until the activation gives up (the end, then the
        // recovery write), as when Redis goes down or the silo is killed between the writes.
        var (adapterStored, lost) = (0, 0);
        FaultInjectingStorage.Decide = (name, state) =>
        {
            if (name == "adapter" && state is AdapterCheckpointState { AdapterSafetensors: not null }) Volatile.Write(ref adapterStored, 1);
            else if (name == "job" && state is AdapterJobState r && r.Spec?.JobId == spec.JobId && Volatile.Read(ref adapterStored) == 1
                && Interlocked.Increment(ref lost) <= 2) return WriteFault.Before;
            return WriteFault.None;
        };
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await PollFinal(grain);
        await fixture.Cluster.DeactivateAsync(grain);   // what storage holds, not what an activation remembers

        var final = await PollFinal(grain);
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}");
        Assert.True(lost > 2, "the final record writes were not lost");   // counts the write that finally landed too
        Assert.Equal(spec.Steps, final.Step);
        Assert.Equal(spec.Steps, (await grain.GetLossHistory()).Length);
        Assert.NotNull(final.EvalLoss);
    }

    [Fact]
    public async Task A_cancel_that_was_not_stored_says_so_and_the_job_is_not_reported_cancelled()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 100_000);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await Jobs.WaitStep(Client, spec, 2);
        FaultInjectingStorage.Decide = Once(JobRecordWrite(spec.JobId, JobState.Canceled), WriteFault.Before);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => grain.Cancel());
        Assert.Contains($"cancel of job '{spec.JobId}' was not stored", refused.Message);
        Assert.Contains("injected", refused.Message);
        Assert.False((await PollStatus(grain)).IsFinal);   // storage still says it trains, and so does the grain

        var canceled = await Retry(() => grain.Cancel());
        Assert.Equal(JobState.Canceled, canceled.State);
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(JobState.Canceled, (await PollStatus(grain)).State);
    }

    [Fact]
    public async Task A_reminder_tick_while_an_end_is_being_written_leaves_the_dataset_and_reminder_the_job_resumes_with()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 100_000);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        var before = await Jobs.WaitStep(Client, spec, 2);
        var stall = FaultInjectingStorage.Stall = new WriteStall();
        FaultInjectingStorage.Decide = Once(JobRecordWrite(spec.JobId, JobState.Canceled), WriteFault.Before);

        var cancel = grain.Cancel();
        await stall.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        // What the reminder service delivers: an ordinary request, which runs while the loop awaits its end's write.
        await grain.AsReference<IRemindable>().ReceiveReminder("resume-training",
            new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));
        stall.Release();
        await Assert.ThrowsAnyAsync<Exception>(() => cancel);   // the end was not stored: the job still trains

        Assert.True(File.Exists(fixture.StateFile("dataset", grain.GetGrainId())), "the dataset went with an end that was not stored");
        Assert.NotNull(await fixture.Reminders.ReadRow(grain.GetGrainId(), "resume-training"));
        // The failed end deactivated the grain: the next activation trains on from storage alone.
        await Retry(() => Jobs.WaitStep(Client, spec, before.Step + 1));
        Assert.True(await Retry(() => grain.Delete()));
    }

    [Fact]
    public async Task A_damaged_checkpoint_file_fails_the_job_naming_it_and_the_job_can_still_be_deleted()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 100_000);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await Jobs.WaitStep(Client, spec, 6);   // past the checkpoint at step 5
        await fixture.Cluster.DeactivateAsync(grain);   // checkpoints, then lets the file be
        var file = fixture.StateFile("adapter", grain.GetGrainId());
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length / 2)]);   // torn: the serializer's framing, not the checksummed payload

        var failed = await PollFinal(grain);
        Assert.True(failed.State == JobState.Failed, $"{failed.State} at step {failed.Step}: {failed.Error}");
        Assert.Contains("stored checkpoint is unreadable", failed.Error);
        Assert.True(await grain.Delete());
        Assert.False(File.Exists(file));
        Assert.Equal(0, (await grain.GetStatus()).TotalSteps);
    }

    [Fact]
    public async Task A_reminder_registration_that_fails_neither_fails_the_submit_nor_leaves_the_job_without_its_reminder()
    {
        var spec = Jobs.Spec(FaultyStorageFixture.Model, steps: 100_000);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        var failures = 0;
        FaultInjectingReminders.FailUpsert = (id, _) => id == grain.GetGrainId() && Interlocked.Increment(ref failures) <= 2;
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await Jobs.WaitStep(Client, spec, 6);   // trains, and has passed a checkpoint (where the loop retries) at step 5

        Assert.True(failures > 2, $"{failures} registration(s) tried");
        Assert.NotNull(await fixture.Reminders.ReadRow(grain.GetGrainId(), "resume-training"));
        await grain.Delete();
    }

    [Fact]
    public async Task A_job_whose_id_has_the_longest_allowed_length_is_stored_and_read_back()
    {
        var id = ("long-" + Guid.NewGuid().ToString("N")).PadRight(128, 'x');   // hex file name: ~300 bytes
        var spec = Jobs.Spec(FaultyStorageFixture.Model, id: id, steps: 3);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        Assert.Equal(JobState.Completed, (await PollFinal(grain)).State);
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.NotEmpty((await grain.DownloadAdapter()).Safetensors);
    }

    private static async Task<JobStatus> PollStatus(IAdapterGrain grain) => await Retry(() => grain.GetStatus());

    /// <summary>A call retried while the grain's activation is going away (a failed write deactivates it).</summary>
    private static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try { return await call(); }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(100); }
        }
    }
}
