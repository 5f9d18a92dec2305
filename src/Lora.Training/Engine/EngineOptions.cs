namespace Lora.Training.Engine;

/// <summary>How the per-silo engine gathers step requests into fused passes and how much it admits.</summary>
public sealed record EngineOptions
{
    /// <summary>How long a pass waits for more adapters after the first request arrives. Waiting stops early
    /// once every resident training adapter has a request in, so the window only costs time when some are idle.</summary>
    public TimeSpan GatherWindow { get; init; } = TimeSpan.FromMilliseconds(5);
    public int MaxAdaptersPerStep { get; init; } = 32;
    /// <summary>Cap on padded tokens (rows × T) per fused pass; bounds activation memory.</summary>
    public int MaxTokensPerStep { get; init; } = 16_384;
    /// <summary>Padded tokens per forward/backward chunk inside a pass (see <see cref="FusedStepExecutor"/>).</summary>
    public int ChunkTokens { get; init; } = FusedStepExecutor.DefaultChunkTokens;
    /// <summary>Adapter state (params, grads, moments) the engine may hold; jobs beyond it wait in Queued.</summary>
    public long MemoryBudgetBytes { get; init; } = 4L << 30;
    public int MaxResidentAdapters { get; init; } = 256;
    /// <summary>Keep pass buffers resident instead of returning them to the kernel each pass (process-wide; see
    /// <see cref="Runtime.NativeAllocatorTuning"/>). Off only to measure what it buys.</summary>
    public bool TuneNativeAllocator { get; init; } = true;

    public EngineOptions Validate()
    {
        if (GatherWindow < TimeSpan.Zero) throw new ArgumentException($"engine option 'gather_window' must be >= 0 (got {GatherWindow}).");
        if (MaxAdaptersPerStep < 1) throw new ArgumentException($"engine option 'max_adapters_per_step' must be >= 1 (got {MaxAdaptersPerStep}).");
        if (MaxTokensPerStep < 2) throw new ArgumentException($"engine option 'max_tokens_per_step' must be >= 2 (got {MaxTokensPerStep}).");
        if (ChunkTokens < 2) throw new ArgumentException($"engine option 'chunk_tokens' must be >= 2 (got {ChunkTokens}).");
        if (MemoryBudgetBytes < 1) throw new ArgumentException($"engine option 'memory_budget_bytes' must be > 0 (got {MemoryBudgetBytes}).");
        if (MaxResidentAdapters < 1) throw new ArgumentException($"engine option 'max_resident_adapters' must be >= 1 (got {MaxResidentAdapters}).");
        return this;
    }
}
