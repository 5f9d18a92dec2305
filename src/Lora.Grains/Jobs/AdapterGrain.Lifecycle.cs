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

    /// <summary>The index shard holding this job's id.</summary>
    private IJobIndexGrain Index => GrainFactory.JobIndexFor(AdapterKeys.JobIdOf(this.GetPrimaryKeyString()));

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
        var (_, training) = JobSpecMapping.Validate(spec, this.GetPrimaryKeyString(), host.Model.Config);
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
        await Index.Register(new JobRef(spec.JobId, BaseModelId));
        try
        {
            // The dataset first: a stored job record never names a dataset that is not stored.
            await Dataset.WriteAsync(new AdapterDatasetState { Jsonl = jsonl });
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
                Dataset.Forget();
                // Nothing stored after all: give the reserved id back rather than index a job that does not exist.
                if (job.State.Spec is null) await Index.Remove(new JobRef(spec.JobId, BaseModelId));
            }
            catch (Exception e) { LogStorageTrouble(logger, spec.JobId, e.Message); }
            throw;
        }
        host.Metrics.RecordJobState(this.GetPrimaryKeyString(), JobState.Queued);
        LogSubmitted(logger, spec.JobId, BaseModelId, spec.Steps);
        await StartTraining();
        return Status();
    }

    /// <summary>The loop, then the reminder that resumes the job after a silo loss (the loop is a no-op when already
    /// there). The loop first: a registration that fails must not leave a stored job with neither; the loop keeps
    /// trying to register it.</summary>
    private async Task StartTraining()
    {
        if (!IsActive) return;
        _reminderKept = false;   // a resubmission may be the client's answer to a lost reminder: assert it again
        EnsureLoop();   // whose first step is the same registration, joined below
        await KeepReminder();
    }

    /// <summary>Whether this activation has registered the resume reminder (the loop re-asserts it until so).</summary>
    private bool _reminderKept;
    private Task? _registering;

    /// <summary>Registers the reminder that resumes the job after a silo loss, joining a registration in flight. A
    /// failure is logged, not raised: the job is stored and training, and the loop tries again at its next checkpoint.</summary>
    private Task KeepReminder() =>
        _reminderKept ? Task.CompletedTask : _registering is { IsCompleted: false } inFlight ? inFlight : _registering = RegisterReminder();

    private async Task RegisterReminder()
    {
        try
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _reminderKept = true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogReminderNotKept(logger, AdapterKeys.JobIdOf(this.GetPrimaryKeyString()), e.Message);
        }
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
        else if (!Status().IsFinal)
        {
            try { await Finish(JobState.Canceled, null); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _stopReason = e.Message;
                DeactivateOnIdle();   // the write may have landed after all: the retry reads storage afresh
            }
        }
        // Finish rolls memory back when its write fails, so a job that is not final here is not cancelled in storage
        // either (its reminder would resume it): say so rather than report a cancel that did not happen.
        var status = Status();
        return status.IsFinal ? status : throw new InvalidOperationException(
            $"cancel of job '{status.JobId}' was not stored: {_stopReason ?? "the job was being suspended on this silo"}; retry.");
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
                // Cleared even when unreadable: deleting is the way out of a damaged record.
                await Adapter.ClearAsync();
                await Dataset.ClearAsync();
                if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
                // The record last: a delete cut short still shows the job, and deleting again finishes the work.
                await job.ClearStateAsync();
                host.Metrics.ForgetJob(key);
                LogDeleted(logger, AdapterKeys.JobIdOf(key));
            }
            _prepared = null;
            await Index.Remove(new JobRef(AdapterKeys.JobIdOf(key), BaseModelId));
            DeactivateOnIdle();
            return existed;
        }
        finally { _lifecycle.Release(); }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: {Notice}")]
    private static partial void LogDatasetTrimmed(ILogger logger, string jobId, string notice);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} has no resume reminder yet (retried at its next checkpoint): {Error}")]
    private static partial void LogReminderNotKept(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} deleted with everything it stored")]
    private static partial void LogDeleted(ILogger logger, string jobId);
}
