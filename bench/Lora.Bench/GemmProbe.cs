using System.Diagnostics;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>Peak matmul throughput of this process (same threads as training): median GFLOP/s over sizes and repetitions.</summary>
public static class GemmProbe
{
    public sealed record Result(double PeakGflops, Dictionary<string, double> BySize);

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
