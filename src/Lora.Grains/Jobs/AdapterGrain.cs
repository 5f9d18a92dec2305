using System.Runtime.CompilerServices;
using Lora.Abstractions;
using Lora.Grains.Hosting;
using Lora.Grains.Placement;
using Lora.Grains.Storage;
using Lora.Training.Data;
using Lora.Training.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Storage;

namespace Lora.Grains.Jobs;

/// <summary>
/// One training job. Placed only on silos hosting its base model (key "{baseModel}/{jobId}"), least-loaded first.
/// Training runs as a background loop of awaited engine steps, so status queries, watches and cancels interleave
/// freely; a reminder re-activates the grain after a silo loss and the loop resumes from the last checkpoint.
/// </summary>
[BaseModelPlacementFilter, ActivationCountBasedPlacement]
public sealed partial class AdapterGrain(
    [PersistentState("job", AdapterGrain.StorageName)] IPersistentState<AdapterJobState> job,
    SiloModelHost host,
    ILogger<AdapterGrain> logger) : Grain, IAdapterGrain, IRemindable
{
    public const string StorageName = "lora-jobs";
    private const string ReminderName = "resume-training";
    private readonly DatasetUploadBuffer _upload = new();
    /// <summary>The dataset as tokenised by Submit, reused by the loop; null after a re-activation (then rebuilt).</summary>
    private PreparedDataset? _prepared;
    private CancellationTokenSource? _cancel;
    /// <summary>Cancelled by OnDeactivateAsync: stops a queued job's wait for admission without ending the job.</summary>
    private CancellationTokenSource? _suspend;
    private Task? _loop;
    /// <summary>Set by OnDeactivateAsync: the loop checkpoints and stops without ending the job.</summary>
    private volatile bool _deactivating;
    private DeferredState<AdapterCheckpointState>? _adapter;
    private DeferredState<AdapterDatasetState>? _dataset;

    /// <summary>The checkpoint while training, the PEFT files once finished. Read on first use, not at activation
    /// (nor is the dataset): a damaged record then fails the job that needs it instead of every activation, so the
    /// grain still reports the failure and can delete the record.</summary>
    private DeferredState<AdapterCheckpointState> Adapter => _adapter ??= Deferred<AdapterCheckpointState>("adapter");

    /// <summary>The uploaded JSONL, written at submission and dropped when the job ends.</summary>
    private DeferredState<AdapterDatasetState> Dataset => _dataset ??= Deferred<AdapterDatasetState>("dataset");

    private DeferredState<T> Deferred<T>(string stateName) where T : class, new() =>
        new(ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageName), stateName, this.GetGrainId());

    private string BaseModelId => AdapterKeys.BaseModelOf(this.GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (job.State.Spec is null) return Task.CompletedTask;
        host.Metrics.RecordJobState(this.GetPrimaryKeyString(), EffectiveState);
        EnsureLoop();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Silo shutdown (SIGTERM, rolling update) or collection: let the loop finish its current step and checkpoint,
    /// so at most that step is redone when the reminder resumes the job, instead of everything since the last
    /// periodic checkpoint. Bounded by Orleans' deactivation token so a stuck step cannot hold up the shutdown.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            if (_loop is not { IsCompleted: false } loop) return;
            _deactivating = true;
            if (_suspend is not null) await _suspend.CancelAsync();
            try { await loop.WaitAsync(cancellationToken); }
            catch (OperationCanceledException) { LogSuspendTimedOut(logger, AdapterKeys.JobIdOf(this.GetPrimaryKeyString()), reason.Description); }
        }
        finally
        {
            // After the loop's last word (it may still finish the job while we wait): the job leaves this silo's gauge.
            host.Metrics.ForgetJob(this.GetPrimaryKeyString());
        }
    }

    public Task UploadDatasetChunk(int index, int total, string text)
    {
        _upload.Add(index, total, text);
        return Task.CompletedTask;
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

    public async Task<AdapterFiles> DownloadAdapter()
    {
        var stored = EffectiveState == JobState.Completed ? await Adapter.ReadAsync() : null;
        if (stored?.AdapterSafetensors is null)
            throw new InvalidOperationException($"job '{AdapterKeys.JobIdOf(this.GetPrimaryKeyString())}' has no finished adapter (state {EffectiveState}).");
        return new AdapterFiles(stored.AdapterSafetensors, stored.AdapterConfig!);
    }

    public async Task<string> Generate(string prompt, int maxNewTokens, double temperature)
    {
        var files = await DownloadAdapter();
        return await host.Engine.GenerateAsync(files.Safetensors, files.ConfigJson, prompt, maxNewTokens, temperature);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // While the loop runs or an end is being stored, the job is in hand and the tick only keeps the reminder: an
        // end whose write then fails leaves the job Running in storage, needing its dataset and this reminder to resume.
        if (Busy || (job.State.Spec is not null && IsActive))
        {
            _reminderKept = true;   // it just fired
            EnsureLoop();   // a no-op while busy
        }
        else
        {
            // A silo that died inside Finish left the reminder, and maybe the dataset, behind.
            await Dataset.ClearAsync();
            if (await this.GetReminder(reminderName) is { } stale) await this.UnregisterReminder(stale);
        }
    }

    private bool IsActive => EffectiveState is JobState.Queued or JobState.Running;

    private void EnsureLoop()
    {
        if (Busy || job.State.Spec is null || !IsActive) return;
        _stopReason = null;
        _cancel = new CancellationTokenSource();
        _suspend = new CancellationTokenSource();
        _loop = TrainAsync(_cancel.Token, _suspend.Token);
    }

    /// <summary>The stored JSONL: its own state, or the job record for records written before it had one.</summary>
    private async Task<string> StoredDataset()
    {
        var jsonl = (await ReadOrUnreadable(Dataset, "dataset")).Jsonl;
        return jsonl.Length > 0 ? jsonl : job.State.Dataset;
    }

    /// <summary>A stored record that does not deserialize ends the job, naming it (TrainAsync fails the job on
    /// <see cref="InvalidDataException"/>): no retry makes those bytes readable.</summary>
    private static async Task<T> ReadOrUnreadable<T>(DeferredState<T> state, string what) where T : class, new()
    {
        try { return await state.ReadAsync(); }
        catch (InvalidDataException e) { throw new InvalidDataException($"the job's stored {what} is unreadable: {e.Message}", e); }
    }

    private string? StoredDatasetSha256() =>
        job.State.DatasetSha256 ?? (job.State.Dataset.Length > 0 ? Sha256(job.State.Dataset) : null);

    private static string Sha256(string text) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private JobStatus Status()
    {
        var s = job.State;
        // While an end is being written it is not yet the job's state: a watcher must not stop on an end that fails.
        var (state, error) = _stateBeforeEnd ?? (s.State, s.Error);
        return new JobStatus
        {
            JobId = s.Spec?.JobId ?? AdapterKeys.JobIdOf(this.GetPrimaryKeyString()),
            BaseModel = BaseModelId,
            State = state,
            Step = s.Step,
            TotalSteps = s.Spec?.Steps ?? 0,
            TrainLoss = s.TrainLosses.Count > 0 ? s.TrainLosses[^1] : null,
            EvalLoss = s.EvalLoss,
            BaseEvalLoss = s.BaseEvalLoss,
            TokensPerSecond = s.TokensPerSecond,
            Error = error,
            UpdatedAt = s.UpdatedAt,
            Silo = RuntimeIdentity,
            DatasetWarning = s.DatasetWarning,
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ended; its dataset and reminder are removed when the reminder next fires ({Reason})")]
    private static partial void LogCleanupLeft(ILogger logger, string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} ended {State}: {Error}")]
    private static partial void LogEnded(ILogger logger, string jobId, JobState state, string? error);
}
