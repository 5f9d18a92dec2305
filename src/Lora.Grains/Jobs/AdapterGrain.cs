using System.Runtime.CompilerServices;
using Lora.Abstractions;
using Lora.Grains.Hosting;
using Lora.Grains.Placement;
using Lora.Training.Data;
using Lora.Training.Engine;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;

namespace Lora.Grains.Jobs;

/// <summary>
/// One training job. Placed only on silos hosting its base model (key "{baseModel}/{jobId}"), least-loaded first.
/// Training runs as a background loop of awaited engine steps, so status queries, watches and cancels interleave
/// freely; a reminder re-activates the grain after a silo loss and the loop resumes from the last checkpoint.
/// </summary>
[BaseModelPlacementFilter, ActivationCountBasedPlacement]
public sealed partial class AdapterGrain(
    [PersistentState("job", AdapterGrain.StorageName)] IPersistentState<AdapterJobState> job,
    [PersistentState("adapter", AdapterGrain.StorageName)] IPersistentState<AdapterCheckpointState> adapter,
    [PersistentState("dataset", AdapterGrain.StorageName)] IPersistentState<AdapterDatasetState> dataset,
    SiloModelHost host,
    ILogger<AdapterGrain> logger) : Grain, IAdapterGrain, IRemindable
{
    public const string StorageName = "lora-jobs";
    private const string ReminderName = "resume-training";
    private readonly DatasetUploadBuffer _upload = new();
    /// <summary>The dataset as tokenised by Submit, reused by the loop; null after a re-activation (then rebuilt).</summary>
    private PreparedDataset? _prepared;
    private CancellationTokenSource? _cancel;
    private Task? _loop;
    /// <summary>Set by OnDeactivateAsync: the loop checkpoints and stops without ending the job.</summary>
    private volatile bool _deactivating;

    private string BaseModelId => AdapterKeys.BaseModelOf(this.GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (job.State.Spec is null) return Task.CompletedTask;
        host.Metrics.RecordJobState(this.GetPrimaryKeyString(), job.State.State);
        if (job.State.State is JobState.Queued or JobState.Running) EnsureLoop();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Silo shutdown (SIGTERM, rolling update) or collection: let the loop finish its current step and checkpoint,
    /// so at most that step is redone when the reminder resumes the job, instead of everything since the last
    /// periodic checkpoint. Bounded by Orleans' deactivation token so a stuck step cannot hold up the shutdown.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_loop is not { IsCompleted: false } loop) return;
        _deactivating = true;
        try { await loop.WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { LogSuspendTimedOut(logger, AdapterKeys.JobIdOf(this.GetPrimaryKeyString()), reason.Description); }
    }

    public Task UploadDatasetChunk(int index, int total, string text)
    {
        _upload.Add(index, total, text);
        return Task.CompletedTask;
    }

    public async Task<JobStatus> Submit(JobSpec spec)
    {
        var jsonl = _upload.Assemble();
        if (job.State.Spec is { } existing)
        {
            if (existing.SameAs(spec) && (jsonl.Length == 0 || Sha256(jsonl) == StoredDatasetSha256())) return Status();
            throw new ArgumentException($"job '{spec.JobId}' already exists with a different spec or dataset; choose another job id.");
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

        // The dataset first: a stored job record never names a dataset that is not stored.
        dataset.State.Jsonl = jsonl;
        await dataset.WriteStateAsync();
        job.State.Spec = spec;
        job.State.DatasetSha256 = Sha256(jsonl);
        job.State.State = JobState.Queued;
        job.State.UpdatedAt = DateTimeOffset.UtcNow;
        await job.WriteStateAsync();
        host.Metrics.RecordJobState(this.GetPrimaryKeyString(), JobState.Queued);
        _upload.Clear();
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        LogSubmitted(logger, spec.JobId, BaseModelId, spec.Steps);
        EnsureLoop();
        return Status();
    }

    public Task<JobStatus> GetStatus() => Task.FromResult(Status());

    public Task<double[]> GetLossHistory() => Task.FromResult(job.State.TrainLosses.ToArray());

    public async IAsyncEnumerable<JobStatus> Watch([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        JobStatus? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var current = Status();
            if (last is null || current.Step != last.Step || current.State != last.State || current.EvalLoss != last.EvalLoss)
            {
                yield return current;
                last = current;
            }
            if (current.IsFinal || job.State.Spec is null) yield break;
            await Task.Delay(200, cancellationToken);
        }
    }

    public async Task<JobStatus> Cancel()
    {
        if (job.State.Spec is null) throw new ArgumentException($"no job '{AdapterKeys.JobIdOf(this.GetPrimaryKeyString())}'.");
        if (Status().IsFinal) return Status();
        if (_loop is { IsCompleted: false } && _cancel is not null)
        {
            await _cancel.CancelAsync();
            await _loop;
        }
        else await Finish(JobState.Canceled, null);
        return Status();
    }

    public async Task<bool> Delete()
    {
        var key = this.GetPrimaryKeyString();
        var existed = job.State.Spec is not null;
        if (existed)
        {
            await Cancel();   // returns at once for an ended job; otherwise the loop stops at its next step boundary
            if (adapter.RecordExists) await adapter.ClearStateAsync();
            if (dataset.RecordExists) await dataset.ClearStateAsync();
            if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
            // The record last: a delete cut short still shows the job, and deleting again finishes the work.
            await job.ClearStateAsync();
            host.Metrics.ForgetJob(key);
            LogDeleted(logger, AdapterKeys.JobIdOf(key));
        }
        _upload.Clear();
        _prepared = null;
        await GrainFactory.GetGrain<IJobIndexGrain>(0).Remove(AdapterKeys.JobIdOf(key));
        DeactivateOnIdle();
        return existed;
    }

    public Task<AdapterFiles> DownloadAdapter()
    {
        if (job.State.State != JobState.Completed || adapter.State.AdapterSafetensors is null)
            throw new InvalidOperationException($"job '{AdapterKeys.JobIdOf(this.GetPrimaryKeyString())}' has no finished adapter (state {job.State.State}).");
        return Task.FromResult(new AdapterFiles(adapter.State.AdapterSafetensors, adapter.State.AdapterConfig!));
    }

    public async Task<string> Generate(string prompt, int maxNewTokens, double temperature)
    {
        var files = await DownloadAdapter();
        return await host.Engine.GenerateAsync(files.Safetensors, files.ConfigJson, prompt, maxNewTokens, temperature);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (job.State.State is JobState.Queued or JobState.Running) EnsureLoop();
        else
        {
            // A silo that died inside Finish left the reminder, and maybe the dataset, behind.
            if (dataset.RecordExists) await dataset.ClearStateAsync();
            if (await this.GetReminder(reminderName) is { } stale) await this.UnregisterReminder(stale);
        }
    }

    private void EnsureLoop()
    {
        if (_loop is { IsCompleted: false }) return;
        _cancel = new CancellationTokenSource();
        _loop = TrainAsync(_cancel.Token);
    }

    /// <summary>The stored JSONL: its own state, or the job record for records written before it had one.</summary>
    private string StoredDataset() => dataset.State.Jsonl.Length > 0 ? dataset.State.Jsonl : job.State.Dataset;

    private string? StoredDatasetSha256() =>
        job.State.DatasetSha256 ?? (job.State.Dataset.Length > 0 ? Sha256(job.State.Dataset) : null);

    private static string Sha256(string text) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private JobStatus Status()
    {
        var s = job.State;
        return new JobStatus
        {
            JobId = s.Spec?.JobId ?? AdapterKeys.JobIdOf(this.GetPrimaryKeyString()),
            BaseModel = BaseModelId,
            State = s.State,
            Step = s.Step,
            TotalSteps = s.Spec?.Steps ?? 0,
            TrainLoss = s.TrainLosses.Count > 0 ? s.TrainLosses[^1] : null,
            EvalLoss = s.EvalLoss,
            BaseEvalLoss = s.BaseEvalLoss,
            TokensPerSecond = s.TokensPerSecond,
            Error = s.Error,
            UpdatedAt = s.UpdatedAt,
            Silo = RuntimeIdentity,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted on base {BaseModel}: {Steps} steps")]
    private static partial void LogSubmitted(ILogger logger, string jobId, string baseModel, int steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} resumed from its checkpoint at step {Step} (record said step {RecordedStep})")]
    private static partial void LogResumed(ILogger logger, string jobId, int step, int recordedStep);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} suspended at step {Step} for deactivation; checkpoint saved")]
    private static partial void LogSuspended(ILogger logger, string jobId, int step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} did not checkpoint before deactivation ({Reason}) ended")]
    private static partial void LogSuspendTimedOut(ILogger logger, string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} paused by a storage error, resumes from its last stored checkpoint: {Error}")]
    private static partial void LogStorageTrouble(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} deleted with everything it stored")]
    private static partial void LogDeleted(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ended {State}: {Error}")]
    private static partial void LogEnded(ILogger logger, string jobId, JobState state, string? error);
}
