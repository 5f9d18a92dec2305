using Lora.Abstractions;

namespace Lora.Grains.Jobs;

/// <summary>
/// How a job ends. Memory never claims an end that storage lacks: Cancel would report it, and a reminder tick would
/// clean up after it (dataset and reminder gone) while storage still says Running and the job resumes.
/// </summary>
public sealed partial class AdapterGrain
{
    /// <summary>What the job was while its end is being written: <see cref="Status"/> shows this until the write
    /// lands, so a watcher never stops on an end that then fails.</summary>
    private (JobState State, string? Error)? _stateBeforeEnd;

    /// <summary>True from the start of <see cref="Finish"/> to its end, cleanup included: the end's own cleanup is
    /// under way, so a reminder tick must not start another (nor a loop).</summary>
    private bool _ending;

    /// <summary>The job's state as storage holds it: an end still being written is not the state yet. Everything
    /// that acts on the state reads this, never <c>job.State.State</c>, which Finish sets before its write lands.</summary>
    private JobState EffectiveState => _stateBeforeEnd?.State ?? job.State.State;

    /// <summary>Whether something on this activation is already seeing the job through: its loop, or an end being
    /// stored and cleaned up after. A reminder tick or a resubmission then only keeps the reminder.</summary>
    private bool Busy => _ending || _loop is { IsCompleted: false };

    /// <summary>Why the loop last stopped without ending the job; Cancel names it.</summary>
    private string? _stopReason;

    /// <summary>Ends the job; when that write fails too, leaves it to the reminder like any storage trouble.</summary>
    private async Task FinishOrRecover(JobSpec spec, JobState state, string? error)
    {
        try { await Finish(state, error); }
        catch (Exception e)
        {
            LogStorageTrouble(logger, spec.JobId, e.Message);
            _stopReason = e.Message;
            DeactivateOnIdle();
        }
    }

    /// <summary>Stores the end, then cleans up. When the write fails, memory is put back as it was and the error raised.</summary>
    private async Task Finish(JobState state, string? error)
    {
        _ending = true;
        try { await StoreEnd(state, error); }
        finally { _ending = false; }
    }

    private async Task StoreEnd(JobState state, string? error)
    {
        var s = job.State;
        var before = (s.State, s.Error, s.UpdatedAt, s.Dataset);
        _stateBeforeEnd = (s.State, s.Error);
        (s.State, s.Error, s.UpdatedAt, s.Dataset) = (state, error, DateTimeOffset.UtcNow, "");
        try { await job.WriteStateAsync(); }
        catch
        {
            (s.State, s.Error, s.UpdatedAt, s.Dataset) = before;
            throw;
        }
        finally { _stateBeforeEnd = null; }
        // The end is stored: count it now, whatever the cleanup below meets.
        host.Metrics.RecordJobState(this.GetPrimaryKeyString(), state);
        if (state == JobState.Failed) host.Metrics.RecordFailure(error);
        if (state == JobState.Completed) host.Metrics.RecordCompleted();
        if (state != JobState.Completed) LogEnded(logger, s.Spec?.JobId ?? "?", state, error);
        // Cleanup, best-effort: a finished job never reads its data again (the hash still recognises a repeated
        // submission), and the reminder has nothing left to resume. Either may meet a storage hiccup or a reminder
        // service still routing to a silo that just died; that must not turn a finished job into "storage trouble".
        // The dataset goes first, so whatever is left, the reminder is too: its next tick, on a fresh activation,
        // finds the job final and removes both (ReceiveReminder).
        try
        {
            await Dataset.ClearAsync();
            if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCleanupLeft(logger, s.Spec?.JobId ?? "?", e.Message);
            DeactivateOnIdle();   // in-memory ETags may be stale now; the next tick reads storage afresh
        }
    }
}
