namespace Lora.Bench;

/// <summary>Everything one run measured; <see cref="BenchReport"/> turns it into the JSON object.</summary>
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
    public required PrecisionProbe.Result Precision { get; init; }
    public required MemoryProbe.Result Memory { get; init; }
    public required Dictionary<string, PhaseTimes> Phases { get; init; }
    public required double BaseForwardMs { get; init; }
    public double? ClusterTokensPerSecond { get; init; }
    public required string EngineKind { get; init; }
    public required double Seconds { get; init; }
}
