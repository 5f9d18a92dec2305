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
    /// The same holds at the end: the record with the final step, history and eval loss is stored before the
    /// finished adapter, because once that is stored a re-activation completes the job from the record alone.
    /// </summary>
    private async Task TrainAsync(CancellationToken cancel, CancellationToken suspend)
    {
        if (job.State.Spec is not { } spec) return;
        AdapterSession? session = null;
        try
        {
            var stored = await ReadOrUnreadable(Adapter, "checkpoint");
            // The finished adapter was stored but the record's final write was not (a crash or failed write
            // between the two): the job is done, not to be trained again from its (cleared) checkpoint.
            if (stored.AdapterSafetensors is not null) { await Finish(JobState.Completed, null); return; }
            var (lora, training) = JobSpecMapping.Validate(spec, this.GetPrimaryKeyString(), host.Model.Config);
            await KeepReminder();
            var data = _prepared;
            if (data is null)
            {
                // Grain state may only be touched on the activation's scheduler: read it before leaving for the pool.
                var text = await StoredDataset();
                if (text.Length == 0) { await Finish(JobState.Failed, "the job's stored dataset is missing."); return; }
                data = await Task.Run(() => PreparedDataset.FromJsonl(JsonlDataset.Parse(text, spec.DatasetName),
                    host.Model.Tokenizer, host.Model.Config.VocabSize, training.SeqLen, training.EvalFraction, training.Seed), cancel);
            }
            _prepared = null;
            var engineJob = new AdapterJob(spec.JobId, lora, training, data.Train, data.Eval);

            AdapterCheckpoint? resume = null;
            if (stored.Checkpoint is { } bytes)
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
            job.State.EvalLoss = null;   // measured at the end; a record stored just before a lost adapter write has one
            job.State.State = JobState.Running;
            job.State.UpdatedAt = DateTimeOffset.UtcNow;
            await job.WriteStateAsync();
            host.Metrics.RecordJobState(this.GetPrimaryKeyString(), JobState.Running);
            await KeepReminder();

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
            await job.WriteStateAsync();   // the final history before the adapter: see above
            await Adapter.WriteAsync(new AdapterCheckpointState { AdapterSafetensors = safetensors, AdapterConfig = config });
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
            _stopReason = e.Message;
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

    private async Task Checkpoint(AdapterSession session, bool keepAlive = true)
    {
        var clock = Stopwatch.StartNew();
        var checkpoint = await host.Engine.CheckpointAsync(session);
        // Job record first: see TrainAsync for why this order makes the loss history exact after a crash.
        await job.WriteStateAsync();
        await Adapter.WriteAsync(new AdapterCheckpointState { Checkpoint = checkpoint.ToBytes() });
        job.State.Recoveries = 0;   // a whole checkpoint stored: progress since the last error (persisted with the next record write)
        host.Metrics.RecordCheckpoint(clock.Elapsed);
        await KeepReminder();
        // The loop is not a request, so idle collection would not see it as activity.
        if (keepAlive) DelayDeactivation(TimeSpan.FromMinutes(10));
    }

    /// <summary>No eval split (eval fraction 0, or too few records) evaluates to NaN: the status says "not measured"
    /// with null, which every client and JSON can carry.</summary>
    private static double? Measured(double loss) => double.IsFinite(loss) ? loss : null;
}
