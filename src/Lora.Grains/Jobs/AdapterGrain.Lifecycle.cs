using Lora.Abstractions;
using Lora.Training.Data;
using Microsoft.Extensions.Logging;

namespace Lora.Grains.Jobs;

/// <summary>
/// Submit, cancel and delete. Cancel and Delete interleave with everything (a long Submit must not hold them up
/// behind it for nothing), so all three take <see cref="_lifecycle"/>: neither can land between Submit's writes and
/// its start of the loop, where it would be overwritten or leave a reminder for a deleted job.
/// </summary>
public sealed partial class AdapterGrain
{
    private readonly SemaphoreSlim _lifecycle = new(1, 1);

    public async Task<JobStatus> Submit(JobSpec spec)
    {
        await _lifecycle.WaitAsync();
        try { return await SubmitCore(spec); }
        finally
        {
            _upload.Clear();   // whatever happened, the staged chunks are spent (up to 256 Mi chars)
            _lifecycle.Release();
        }
    }

    private async Task<JobStatus> SubmitCore(JobSpec spec)
    {
        var jsonl = _upload.Assemble();
        if (job.State.Spec is { } existing)
        {
            if (!existing.SameAs(spec) || (jsonl.Length > 0 && Sha256(jsonl) != StoredDatasetSha256()))
                throw new ArgumentException($"job '{spec.JobId}' already exists with a different spec or dataset; choose another job id.");
            // A retry after a failure that struck after the record was written (a write that timed out but landed,
            // the reminder's registration): make sure the job is really on its way.
            await StartTraining();
            return Status();
        }
        var (_, training) = JobSpecMapping.Validate(spec, BaseModelId, host.Model.Config);
        host.Engine.EnsureFits(training);
        if (jsonl.Length == 0) throw new ArgumentException("job dataset is empty: upload at least one JSONL record.");
        // Parse and tokenise once up front so a bad line is rejected before anything is stored.
        try
        {
            _prepared = await Task.Run(() => PreparedDataset.FromJsonl(JsonlDataset.Parse(jsonl, spec.DatasetName), host.Model.Tokenizer,
                host.Model.Config.VocabSize, training.SeqLen, training.EvalFraction, training.Seed));
        }
        catch (FormatException e)
        {
            // Dataset errors carry file:line; rethrown as a type every Orleans client can deserialize.
            throw new ArgumentException(e.Message);
        }
        var datasetWarning = _prepared.Stats.Notice(spec.DatasetName, training.SeqLen);
        if (datasetWarning is not null) LogDatasetTrimmed(logger, spec.JobId, datasetWarning);

        // The id is reserved in the index before anything is stored: a job that trains is always reachable by id,
        // and an id taken on another base model fails here, with nothing written.
        await GrainFactory.GetGrain<IJobIndexGrain>(0).Register(new JobRef(spec.JobId, BaseModelId));
        try
        {
            // The dataset first: a stored job record never names a dataset that is not stored.
            dataset.State.Jsonl = jsonl;
            await dataset.WriteStateAsync();
            job.State.Spec = spec;
            job.State.DatasetSha256 = Sha256(jsonl);
            job.State.DatasetWarning = datasetWarning;
            job.State.State = JobState.Queued;
            job.State.UpdatedAt = DateTimeOffset.UtcNow;
            await job.WriteStateAsync();
        }
        catch
        {
            // Memory must not claim a job that storage may not hold: take storage's word (best effort) so the
            // client's retry either starts it or finds it.
            try
            {
                await job.ReadStateAsync();
                await dataset.ReadStateAsync();
                // Nothing stored after all: give the reserved id back rather than index a job that does not exist.
                if (job.State.Spec is null) await GrainFactory.GetGrain<IJobIndexGrain>(0).Remove(new JobRef(spec.JobId, BaseModelId));
            }
            catch (Exception e) { LogStorageTrouble(logger, spec.JobId, e.Message); }
            throw;
        }
        host.Metrics.RecordJobState(this.GetPrimaryKeyString(), JobState.Queued);
        LogSubmitted(logger, spec.JobId, BaseModelId, spec.Steps);
        await StartTraining();
        return Status();
    }

    /// <summary>The reminder that resumes the job after a silo loss, then the loop (both no-ops when already there).</summary>
    private async Task StartTraining()
    {
        if (job.State.State is not (JobState.Queued or JobState.Running)) return;
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        EnsureLoop();
    }

    public async Task<JobStatus> Cancel()
    {
        await _lifecycle.WaitAsync();
        try { return await CancelCore(); }
        finally { _lifecycle.Release(); }
    }

    private async Task<JobStatus> CancelCore()
    {
        if (job.State.Spec is null) throw new ArgumentException($"no job '{AdapterKeys.JobIdOf(this.GetPrimaryKeyString())}'.");
        // Awaiting the loop even when memory already says final: its Finish may still be writing.
        if (_loop is { IsCompleted: false } loop)
        {
            if (!Status().IsFinal && _cancel is not null) await _cancel.CancelAsync();
            await loop;
        }
        else if (!Status().IsFinal) await Finish(JobState.Canceled, null);
        return Status();
    }

    public async Task<bool> Delete()
    {
        await _lifecycle.WaitAsync();
        try
        {
            var key = this.GetPrimaryKeyString();
            var existed = job.State.Spec is not null;
            if (existed)
            {
                await CancelCore();   // at once for an ended job; otherwise the loop stops at its next step boundary
                if (adapter.RecordExists) await adapter.ClearStateAsync();
                if (dataset.RecordExists) await dataset.ClearStateAsync();
                if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
                // The record last: a delete cut short still shows the job, and deleting again finishes the work.
                await job.ClearStateAsync();
                host.Metrics.ForgetJob(key);
                LogDeleted(logger, AdapterKeys.JobIdOf(key));
            }
            _prepared = null;
            await GrainFactory.GetGrain<IJobIndexGrain>(0).Remove(new JobRef(AdapterKeys.JobIdOf(key), BaseModelId));
            DeactivateOnIdle();
            return existed;
        }
        finally { _lifecycle.Release(); }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: {Notice}")]
    private static partial void LogDatasetTrimmed(ILogger logger, string jobId, string notice);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} deleted with everything it stored")]
    private static partial void LogDeleted(ILogger logger, string jobId);
}
