using System.Diagnostics;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>Peak matmul throughput of this process (same threads as training): median GFLOP/s over sizes and repetitions.</summary>
public static class GemmProbe
{
    /// <param name="PeakFrom">Which probe gave <paramref name="PeakGflops"/>: "start" or "end_of_run".</param>
    public sealed record Result(double PeakGflops, Dictionary<string, double> BySize, string PeakFrom = "start");

    /// <summary>The start-of-run probe plus a 2048³ re-probe now; the peak is the higher of the two (load on a
    /// shared box only ever slows a GEMM), so every kind of run divides by a peak chosen the same way.</summary>
    public static Result WithEndOfRun(Result start, int repetitions)
    {
        var end = Measure(ScalarType.Float32, repetitions, 2048).PeakGflops;
        var bySize = new Dictionary<string, double>(start.BySize) { ["2048_end_of_run"] = end };
        return end > start.PeakGflops ? new Result(end, bySize, "end_of_run") : new Result(start.PeakGflops, bySize);
    }

    public static Result Measure(ScalarType dtype, int repetitions, params int[] sizes)
    {
        var bySize = new Dictionary<string, double>();
        foreach (var n in sizes)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var a = randn(n, n).to(dtype);
            var b = randn(n, n).to(dtype);
            a.matmul(b).Dispose();   // warm-up
            var samples = new List<double>();
            for (int i = 0; i < repetitions; i++)
            {
                var start = Stopwatch.GetTimestamp();
                a.matmul(b).Dispose();
                samples.Add(2.0 * n * n * n / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9);
            }
            bySize[$"{n}"] = Stats.Median(samples);
        }
        return new Result(bySize.Values.Max(), bySize);
    }
}
