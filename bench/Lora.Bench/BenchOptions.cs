namespace Lora.Bench;

/// <summary>Run sizes: --quick trims steps and repetitions to stay under two minutes on a 2-core box.</summary>
public sealed record BenchOptions
{
    public bool Quick { get; init; }
    public bool Json { get; init; }
    /// <summary>Only the sequential / fused / bigbatch comparison (for A/B runs of two builds).</summary>
    public bool ThroughputOnly { get; init; }
    /// <summary>Only the cluster-vs-fused pairs (for A/B runs of engine scheduling changes).</summary>
    public bool ClusterOnly { get; init; }
    /// <summary>Only the pass-size sweep.</summary>
    public bool SweepOnly { get; init; }
    /// <summary>Leave glibc malloc at its defaults (to measure what <c>NativeAllocatorTuning</c> buys, in a separate run).</summary>
    public bool NoAllocatorTuning { get; init; }
    public int Jobs { get; init; } = 16;
    public int BatchSize { get; init; } = 1;
    public int SeqLen { get; init; } = 32;
    public int LargeSeqLen { get; init; } = 128;
    public int Rank { get; init; } = 8;
    /// <summary>Optimizer steps each job trains per timed repetition.</summary>
    public int Steps { get; init; } = 12;
    public int LargeSteps { get; init; } = 4;
    public int Repetitions { get; init; } = 5;
    /// <summary>Steps per job before the bf16-vs-fp32 loss comparison.</summary>
    public int PrecisionSteps { get; init; } = 30;
    public int MemoryAdapters { get; init; } = 64;
    public int ProfileSteps { get; init; } = 10;

    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var json = args.Contains("--json");
        var unknown = args.Where(a => a is not ("--quick" or "--json" or "--throughput-only" or "--sweep-only" or "--cluster-only" or "--no-allocator-tuning")).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"unknown argument(s): {string.Join(" ", unknown)} (expected --quick, --json, --throughput-only, --cluster-only, --sweep-only, --no-allocator-tuning).");
        var o = new BenchOptions { Quick = quick, Json = json, ThroughputOnly = args.Contains("--throughput-only"),
            ClusterOnly = args.Contains("--cluster-only"),
            SweepOnly = args.Contains("--sweep-only"), NoAllocatorTuning = args.Contains("--no-allocator-tuning") };
        return quick
            ? o with { Steps = 3, LargeSteps = 1, Repetitions = 3, PrecisionSteps = 6, MemoryAdapters = 32, ProfileSteps = 3 }
            : o;
    }
}
