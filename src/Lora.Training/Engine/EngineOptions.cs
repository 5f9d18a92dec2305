namespace Lora.Training.Engine;

/// <summary>How the per-silo engine gathers step requests into fused passes and how much it admits.</summary>
public sealed record EngineOptions
{
    /// <summary>How long a pass waits for more adapters after the first request arrives. Waiting stops early
    /// once every resident training adapter has a request in, so the window only costs time when some are idle.</summary>
    public TimeSpan GatherWindow { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>An idle engine's first pass waits until no adapter has opened for this long, so a burst of
    /// submissions trains in step from its first pass; otherwise the jobs that open while that pass runs stay a pass
    /// behind to the end and finish alone in a nearly empty one. Costs a lone job this much once per idle period.</summary>
    public TimeSpan BurstQuietPeriod { get; init; } = TimeSpan.FromMilliseconds(25);
    /// <summary>Bound on that wait, counted from the first request, for a steady trickle of opens.</summary>
    public TimeSpan BurstHoldLimit { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>How long other work (open, evaluate, checkpoint, export, generate, release) may hold back a pass whose
    /// requests are gathered; past it the pass runs next. At least one item still runs between passes, and a running
    /// item is never cut short, so a steady stream of either kind of work cannot starve the other.</summary>
    public TimeSpan MaxPassDelay { get; init; } = TimeSpan.FromMilliseconds(50);
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
    /// <summary>Cap on the tokens one generation request may produce (the model's context caps it too). Generation
    /// recomputes the whole prefix per token and holds the compute thread throughout.</summary>
    public int MaxNewTokens { get; init; } = 512;

    /// <summary>Longest time option; longer ones would overflow the engine's deadline arithmetic.</summary>
    public static readonly TimeSpan LongestWait = TimeSpan.FromHours(1);

    public EngineOptions Validate()
    {
        CheckWait("gather_window", GatherWindow);
        CheckWait("burst_quiet_period", BurstQuietPeriod);
        CheckWait("burst_hold_limit", BurstHoldLimit);
        CheckWait("max_pass_delay", MaxPassDelay);
        if (MaxAdaptersPerStep < 1) throw new ArgumentException($"engine option 'max_adapters_per_step' must be >= 1 (got {MaxAdaptersPerStep}).");
        if (MaxTokensPerStep < 2) throw new ArgumentException($"engine option 'max_tokens_per_step' must be >= 2 (got {MaxTokensPerStep}).");
        if (ChunkTokens < 2) throw new ArgumentException($"engine option 'chunk_tokens' must be >= 2 (got {ChunkTokens}).");
        if (MemoryBudgetBytes < 1) throw new ArgumentException($"engine option 'memory_budget_bytes' must be > 0 (got {MemoryBudgetBytes}).");
        if (MaxResidentAdapters < 1) throw new ArgumentException($"engine option 'max_resident_adapters' must be >= 1 (got {MaxResidentAdapters}).");
        if (MaxNewTokens < 0) throw new ArgumentException($"engine option 'max_new_tokens' must be >= 0 (got {MaxNewTokens}).");
        return this;
    }

    private static void CheckWait(string name, TimeSpan value)
    {
        if (value < TimeSpan.Zero || value > LongestWait)
            throw new ArgumentException($"engine option '{name}' must be between 0 and {LongestWait} (got {value}).");
    }
}
