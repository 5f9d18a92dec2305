using System.Diagnostics;
using Lora.Abstractions;
using Lora.Training.Data;
using Lora.Training.Engine;

namespace Lora.Grains.Jobs;

public sealed partial class AdapterGrain
{
    /// <summary>
    /// The job's training loop. Persistence order matters for exact resume: the job record (with the loss history)
    /// is written before the checkpoint, so the stored history always reaches at least the stored checkpoint's step;
    /// on resume it is cut back to the checkpoint's step (the truth), so the reported history has neither gaps nor
    /// duplicates whatever moment a silo died. (The reverse order left a gap when a silo died between the writes.)
    /// </summary>
    private async Task TrainAsync(CancellationToken cancel, CancellationToken suspend)
    {
        if (job.State.Spec is not { } spec) return;
        AdapterSession? session = null;
        try
        {
            // The finished adapter was stored but the record's final write was not (a crash or failed write
            // between the two): the job is done, not to be trained again from its (cleared) checkpoint.
            if (adapter.State.AdapterSafetensors is not null) { await Finish(JobState.Completed, null); return; }
            var (lora, training) = JobSpecMapping.Validate(spec, BaseModelId, host.Model.Config);
            // Grain state may only be touched on the activation's scheduler: read it before leaving for the pool.
            var text = StoredDataset();
            if (text.Length == 0 && _prepared is null) { await Finish(JobState.Failed, "the job's stored dataset is missing."); return; }
            var data = _prepared ?? await Task.Run(() => PreparedDataset.FromJsonl(JsonlDataset.Parse(text, spec.DatasetName),
                host.Model.Tokenizer, host.Model.Config.VocabSize, training.SeqLen, training.EvalFraction, training.Seed), cancel);
            _prepared = null;
            var engineJob = new AdapterJob(spec.JobId, lora, training, data.Train, data.Eval);

            AdapterCheckpoint? resume = null;
            if (adapter.State.Checkpoint is { } bytes)
            {
                try { resume = AdapterCheckpoint.FromBytes(bytes); }
                catch (InvalidDataException e) { await Finish(JobState.Failed, $"stored checkpoint is corrupt: {e.Message}"); return; }
            }
            job.State.BaseEvalLoss ??= Measured(await host.Engine.EvaluateAsync(null, data.Eval));

            // A queued job can wait long for admission: a shutdown must not wait for it, nor mark it cancelled.
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancel, suspend))
            {
                try { session = await host.Engine.OpenAsync(engineJob, resume, waiting.Token); }
                catch (OperationCanceledException) when (suspend.IsCancellationRequested && !cancel.IsCancellationRequested)
                {
                    LogSuspended(logger, spec.JobId, job.State.Step);
                    return;
                }
            }
            if (resume is not null) LogResumed(logger, spec.JobId, session.Step, job.State.Step);
            job.State.Step = session.Step;
            if (job.State.TrainLosses.Count > session.Step) job.State.TrainLosses.RemoveRange(session.Step, job.State.TrainLosses.Count - session.Step);
            job.State.State = JobState.Running;
            job.State.UpdatedAt = DateTimeOffset.UtcNow;
            await job.WriteStateAsync();
            host.Metrics.RecordJobState(this.GetPrimaryKeyString(), JobState.Running);

            var clock = Stopwatch.StartNew();
            var sinceCheckpoint = Stopwatch.StartNew();
            long tokens = 0;
            while (session.Step < training.Steps)
            {
                cancel.ThrowIfCancellationRequested();
                if (_deactivating)
                {
                    // Graceful shutdown or rebalancing: save the work so far; the reminder resumes it elsewhere.
                    if (session.Step > 0) await Checkpoint(session, keepAlive: false);
                    LogSuspended(logger, spec.JobId, session.Step);
                    return;
                }
                var result = await host.Engine.StepAsync(session, cancel);
                if (result.Failure is not null) { await Finish(JobState.Failed, result.Failure); return; }
                tokens += result.Tokens;
                job.State.Step = result.Step;
                job.State.TrainLosses.Add(result.Loss);
                job.State.TokensPerSecond = tokens / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                job.State.UpdatedAt = DateTimeOffset.UtcNow;
                var due = result.Step % spec.CheckpointEverySteps == 0
                    || (spec.CheckpointEverySeconds > 0 && sinceCheckpoint.Elapsed.TotalSeconds >= spec.CheckpointEverySeconds);
                if (due && result.Step < training.Steps)
                {
                    await Checkpoint(session);
                    sinceCheckpoint.Restart();
                }
            }

            job.State.EvalLoss = Measured(await host.Engine.EvaluateAsync(session, data.Eval));
            var (safetensors, config) = await host.Engine.ExportPeftAsync(session, host.Model.Id);
            adapter.State.AdapterSafetensors = safetensors;
            adapter.State.AdapterConfig = config;
            adapter.State.Checkpoint = null;
            await adapter.WriteStateAsync();
            await Finish(JobState.Completed, null);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await FinishOrRecover(spec, JobState.Canceled, null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FormatException or InvalidOperationException)
        {
            await FinishOrRecover(spec, JobState.Failed, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Storage trouble (Redis timeout, or an ETag conflict after a write that timed out but landed) or a
            // failed training pass: the in-memory state can no longer be trusted to match storage. This activation
            // goes, and the reminder re-activates the job from its last stored checkpoint — a bounded number of
            // times when the error lets the job record be written, which a storage outage does not.
            LogStorageTrouble(logger, spec.JobId, e.Message);
            if (++job.State.Recoveries > MaxRecoveries)
            {
                await FinishOrRecover(spec, JobState.Failed, $"gave up after {MaxRecoveries} recoveries from errors; the last: {e.Message}");
                return;
            }
            try { await job.WriteStateAsync(); }
            catch (Exception) { job.State.Recoveries--; }   // storage itself is failing: not counted, retried without bound
            DeactivateOnIdle();
        }
        finally
        {
            if (session is not null) await host.Engine.ReleaseAsync(session);
        }
    }

    private const int MaxRecoveries = 5;

    /// <summary>Ends the job; when that write fails too, leaves it to the reminder like any storage trouble, so
    /// memory never claims an end that storage lacks while this activation lives on.</summary>
    private async Task FinishOrRecover(JobSpec spec, JobState state, string? error)
    {
        try { await Finish(state, error); }
        catch (Exception e)
        {
            LogStorageTrouble(logger, spec.JobId, e.Message);
            DeactivateOnIdle();
        }
    }

    private async Task Checkpoint(AdapterSession session, bool keepAlive = true)
    {
        var clock = Stopwatch.StartNew();
        var checkpoint = await host.Engine.CheckpointAsync(session);
        // Job record first: see TrainAsync for why this order makes the loss history exact after a crash.
        await job.WriteStateAsync();
        adapter.State.Checkpoint = checkpoint.ToBytes();
        await adapter.WriteStateAsync();
        job.State.Recoveries = 0;   // a whole checkpoint stored: progress since the last error (persisted with the next record write)
        host.Metrics.RecordCheckpoint(clock.Elapsed);
        // The loop is not a request, so idle collection would not see it as activity.
        if (keepAlive) DelayDeactivation(TimeSpan.FromMinutes(10));
    }

    private async Task Finish(JobState state, string? error)
    {
        job.State.State = state;
        job.State.Error = error;
        job.State.UpdatedAt = DateTimeOffset.UtcNow;
        job.State.Dataset = "";
        await job.WriteStateAsync();
        // The end is stored: count it now, whatever the cleanup below meets.
        host.Metrics.RecordJobState(this.GetPrimaryKeyString(), state);
        if (state == JobState.Failed) host.Metrics.RecordFailure(error);
        if (state == JobState.Completed) host.Metrics.RecordCompleted();
        if (state != JobState.Completed) LogEnded(logger, job.State.Spec?.JobId ?? "?", state, error);
        // Cleanup, best-effort: a finished job never reads its data again (the hash still recognises a repeated
        // submission), and the reminder has nothing left to resume. Either may meet a storage hiccup or a reminder
        // service still routing to a silo that just died; that must not turn a finished job into "storage trouble".
        // The dataset goes first, so whatever is left, the reminder is too: its next tick, on a fresh activation,
        // finds the job final and removes both (ReceiveReminder).
        try
        {
            if (dataset.RecordExists) await dataset.ClearStateAsync();
            if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCleanupLeft(logger, job.State.Spec?.JobId ?? "?", e.Message);
            DeactivateOnIdle();   // in-memory ETags may be stale now; the next tick reads storage afresh
        }
    }

    /// <summary>No eval split (eval fraction 0, or too few records) evaluates to NaN: the status says "not measured"
    /// with null, which every client and JSON can carry.</summary>
    private static double? Measured(double loss) => double.IsFinite(loss) ? loss : null;
}
