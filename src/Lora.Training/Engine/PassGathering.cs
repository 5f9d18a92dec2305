namespace Lora.Training.Engine;

/// <summary>
/// Which step requests make up the next fused pass, and when it may start. Not thread-safe: the engine calls every
/// member with its lock held, and <see cref="WaitUntilGathered"/> waits on that lock, so new requests, opens and
/// exclusive work (each pulses it) wake the wait.
/// </summary>
internal sealed class PassGathering(EngineOptions options, object engineLock)
{
    private readonly List<StepRequest> _waiting = [];
    /// <summary>Open sessions: the adapters a pass may wait for.</summary>
    private readonly HashSet<AdapterSession> _open = [];
    /// <summary>Monitor.Wait throws past int.MaxValue ms; the wait loop re-checks its deadline after each wake anyway.</summary>
    private static readonly TimeSpan MaxMonitorWait = TimeSpan.FromMinutes(1);
    private TimeSpan _lastPassEnd;   // EngineClock time; zero = none yet
    private TimeSpan _lastOpen;
    /// <summary>Adapters opened into an idle engine and no pass run since (see <see cref="EngineOptions.BurstQuietPeriod"/>).</summary>
    private bool _burstOpening;

    public bool HasRequests => _waiting.Count > 0;

    public void Opened(AdapterSession session)
    {
        _burstOpening |= _open.Count == 0;
        _open.Add(session);
        _lastOpen = EngineClock.Now;
    }

    /// <summary>Queues a step of an open session (the engine checks, under its lock, that it was not released).</summary>
    public void Enqueue(StepRequest request) => _waiting.Add(request);

    /// <summary>Takes back a request no pass has started on (a cancelled step); false once one has.</summary>
    public bool TryWithdraw(StepRequest request) => request is { MicroBatchesDone: 0, InPass: false } && _waiting.Remove(request);

    /// <summary>The session no longer trains: nothing waits for it, and its queued request is cancelled.</summary>
    public void Closed(AdapterSession session)
    {
        _open.Remove(session);
        _waiting.RemoveAll(r => r.Session == session && r.Completion.TrySetCanceled());
    }

    public void CancelAll()
    {
        foreach (var r in _waiting) r.Completion.TrySetCanceled();
        _waiting.Clear();
    }

    /// <summary>Waits until every open adapter has a request in, the window closes, or <paramref name="interrupted"/>.
    /// Open, not "has stepped before": counting only adapters that had already stepped let the very first request of
    /// a burst run alone and left a straggler for an extra pass at the end (14 passes instead of 12 in the benchmark).
    /// An open adapter that is busy elsewhere (checkpoint write, eval) costs at most one window per pass.
    /// The window opens when the previous pass ended (or at the first request, if that came later): the adapters of
    /// the last pass re-request from thread-pool continuations, and timing from their first arrival let a
    /// continuation that ran a few ms late split the next pass in two, each nearly as slow as a full one.</summary>
    public bool WaitUntilGathered(Func<bool> interrupted)
    {
        while (!interrupted() && _waiting.Count > 0)
        {
            var wait = ReadyAt() - EngineClock.Now;
            if (wait <= TimeSpan.Zero) break;
            Monitor.Wait(engineLock, Min(wait, MaxMonitorWait));
        }
        return !interrupted() && _waiting.Count > 0;
    }

    /// <summary>True once a pass has been ready to start for <paramref name="delay"/>. Counted from the last pass's end
    /// at the earliest, so the work between passes always gets that long, however early the requests came in.</summary>
    public bool Overdue(TimeSpan delay) => _waiting.Count > 0 && EngineClock.Now >= Max(ReadyAt(), _lastPassEnd) + delay;

    /// <summary>
    /// Oldest requests first. One too large for the room left lets newer, smaller ones past it in one pass only;
    /// from then on a pass closes in front of it. So a request waits for those queued before it (and their remaining
    /// micro-batches) plus at most one pass — not ⌈queued / per-pass⌉ passes, which token room can stretch.
    /// </summary>
    public List<StepRequest> Select()
    {
        _burstOpening = false;
        var pass = new List<StepRequest>();
        long tokens = 0;
        foreach (var r in _waiting)
        {
            if (pass.Count == options.MaxAdaptersPerStep) break;
            if (pass.Count > 0 && tokens + r.TokenEstimate > options.MaxTokensPerStep)
            {
                if (r.PassedOver) break;
                r.PassedOver = true;
                continue;
            }
            pass.Add(r);
            tokens += r.TokenEstimate;
        }
        foreach (var r in pass) r.InPass = true;
        return pass;
    }

    /// <summary>Drops the requests the pass finished (the others stay queued for their next micro-batch).</summary>
    public void PassEnded(IEnumerable<StepRequest> pass, Predicate<StepRequest> finished)
    {
        foreach (var r in pass) r.InPass = false;
        _waiting.RemoveAll(finished);
        _lastPassEnd = EngineClock.Now;
    }

    /// <summary>When the next pass may start (see <see cref="WaitUntilGathered"/>); needs a waiting request.</summary>
    private TimeSpan ReadyAt()
    {
        var first = _waiting[0].Arrival;
        var everyoneIn = _waiting.Count >= Math.Min(_open.Count, options.MaxAdaptersPerStep);
        return everyoneIn ? BurstHold(first) : Max(Max(first, _lastPassEnd) + options.GatherWindow, BurstHold(first));
    }

    /// <summary>When the first pass after idle may start: once opens have been quiet for the quiet period.</summary>
    private TimeSpan BurstHold(TimeSpan firstRequest) => _burstOpening
        ? Min(_lastOpen + options.BurstQuietPeriod, firstRequest + options.BurstHoldLimit)
        : TimeSpan.Zero;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
