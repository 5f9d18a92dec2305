using System.Collections.Concurrent;
using System.Diagnostics;
using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>Records every fused pass the engine reports (adapters per pass shows gather efficiency), with when it
/// ended, so a run can be timed from the start of its first pass to the end of its last. Dispose to unsubscribe:
/// the engine outlives the probes that borrow it, and would otherwise keep feeding every recorder ever made.</summary>
public sealed class PassRecorder : IDisposable
{
    private readonly ConcurrentQueue<(long EndTimestamp, FusedPassReport Report)> _passes = new();
    private readonly TrainingEngine _engine;

    public PassRecorder(TrainingEngine engine)
    {
        _engine = engine;
        engine.PassCompleted += Record;
    }

    // Raised on the compute thread before the pass's callers resume, so the timestamp is the pass's end.
    private void Record(FusedPassReport report) => _passes.Enqueue((Stopwatch.GetTimestamp(), report));

    public void Clear() => _passes.Clear();

    public double MeanAdapters => _passes.IsEmpty ? double.NaN : _passes.Average(p => p.Report.Adapters);

    /// <summary>Seconds the compute thread spent inside passes (the rest of a run's wall time is gathering and queueing).</summary>
    public double BusySeconds => _passes.Sum(p => p.Report.Duration.TotalSeconds);

    public int Count => _passes.Count;

    /// <summary>
    /// Seconds from the start of the first pass recorded since <see cref="Clear"/> to the end of the last. Every mode
    /// is timed this way, as the cluster is (<see cref="ClusterMode"/>): the engine's burst hold before a first pass
    /// (it waits for the rest of a burst of jobs) is admission latency, which a plain loop, what the sequential mode
    /// stands for, does not have; and the continuations that resume the callers after the last pass are theirs, not
    /// training, and the cluster's side of a paired ratio cannot include them.
    /// </summary>
    public double TrainingSeconds()
    {
        var passes = _passes.ToArray();
        if (passes.Length == 0) throw new InvalidOperationException("no pass was recorded since the run began");
        return Stopwatch.GetElapsedTime(passes[0].EndTimestamp, passes[^1].EndTimestamp).TotalSeconds
            + passes[0].Report.Duration.TotalSeconds;
    }

    /// <summary>Pass durations in ms, in order (to tell a slow first pass from uniformly slow passes).</summary>
    public string Durations => string.Join(" ", _passes.Select(p => $"{p.Report.Adapters}:{p.Report.Duration.TotalMilliseconds:F0}"));

    public void Dispose() => _engine.PassCompleted -= Record;
}
