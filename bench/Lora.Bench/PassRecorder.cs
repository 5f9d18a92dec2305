using System.Collections.Concurrent;
using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>Records every fused pass the engine reports (adapters per pass shows gather efficiency).</summary>
public sealed class PassRecorder
{
    private readonly ConcurrentQueue<FusedPassReport> _passes = new();

    public PassRecorder(TrainingEngine engine) => engine.PassCompleted += _passes.Enqueue;

    public void Clear() => _passes.Clear();

    public double MeanAdapters => _passes.IsEmpty ? double.NaN : _passes.Average(p => p.Adapters);

    /// <summary>Seconds the compute thread spent inside passes (the rest of a run's wall time is gathering and queueing).</summary>
    public double BusySeconds => _passes.Sum(p => p.Duration.TotalSeconds);

    public int Count => _passes.Count;

    /// <summary>Pass durations in ms, in order (to tell a slow first pass from uniformly slow passes).</summary>
    public string Durations => string.Join(" ", _passes.Select(p => $"{p.Adapters}:{p.Duration.TotalMilliseconds:F0}"));
}
