namespace Lora.Bench;

/// <summary>Everything one run measured; <see cref="BenchReport"/> turns it into the JSON object. The optional
/// parts stay null under --throughput-only.</summary>
public sealed record BenchResults
{
    public required BenchOptions Options { get; init; }
    public required GemmProbe.Result Gemm { get; init; }
    public required GemmProbe.Result GemmBf16 { get; init; }
    public required object ModelShape { get; init; }
    public required double FlopsPerToken { get; init; }
    public required long AdapterParameters { get; init; }
    public required ThroughputComparison.Result Default { get; init; }
    public required ThroughputComparison.Result Large { get; init; }
    public PrecisionProbe.Result? Precision { get; init; }
    public MemoryProbe.Result? Memory { get; init; }
    public Dictionary<string, PhaseTimes>? Phases { get; init; }
    public double BaseForwardMs { get; init; } = double.NaN;
    public ClusterMode.Result? Cluster { get; init; }
    public double Seconds { get; init; }
}
