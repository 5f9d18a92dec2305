using System.Collections.Concurrent;
using System.Diagnostics;
using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>Records every fused pass the engine reports (adapters per pass shows gather efficiency), with when it
/// ended, so a run can be timed from the start of its first pass.</summary>
public sealed class PassRecorder
{
    private readonly ConcurrentQueue<(long EndTimestamp, FusedPassReport Report)> _passes = new();

    public PassRecorder(TrainingEngine engine) => engine.PassCompleted += r => _passes.Enqueue((Stopwatch.GetTimestamp(), r));

    public void Clear() => _passes.Clear();

    public double MeanAdapters => _passes.IsEmpty ? double.NaN : _passes.Average(p => p.Report.Adapters);

    /// <summary>Seconds the compute thread spent inside passes (the rest of a run's wall time is gathering and queueing).</summary>
    public double BusySeconds => _passes.Sum(p => p.Report.Duration.TotalSeconds);

    public int Count => _passes.Count;

    /// <summary>
    /// Seconds from the start of the first pass recorded since <see cref="Clear"/> until now. Every mode is timed
    /// this way, as the cluster is: the engine's burst hold before a first pass (it waits for the rest of a burst
    /// of jobs) is admission latency, and a plain loop, which the sequential mode stands for, has none.
    /// </summary>
    public double SecondsSinceFirstPassStarted() =>
        _passes.TryPeek(out var first)
            ? Stopwatch.GetElapsedTime(first.EndTimestamp).TotalSeconds + first.Report.Duration.TotalSeconds
            : throw new InvalidOperationException("no pass was recorded since the run began");

    /// <summary>Pass durations in ms, in order (to tell a slow first pass from uniformly slow passes).</summary>
    public string Durations => string.Join(" ", _passes.Select(p => $"{p.Report.Adapters}:{p.Report.Duration.TotalMilliseconds:F0}"));
}
