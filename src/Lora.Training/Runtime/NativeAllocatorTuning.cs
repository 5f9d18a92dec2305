using System.Runtime.InteropServices;

namespace Lora.Training.Runtime;

/// <summary>
/// Keeps glibc's malloc from handing activation buffers back to the kernel between training passes.
/// libtorch allocates every pass's activations and gradients afresh on CPU; with glibc's defaults the large ones
/// are mmap'ed and unmapped each pass and freed heap tops are trimmed, so every pass page-faults its working set in
/// again. Measured on the default benchmark scenario: fused passes of 16 adapters × 32 tokens varied 120–330 ms
/// without tuning and 112–140 ms with it (docs/benchmarks.md). The price is that a silo keeps its peak pass memory
/// resident, which is what a training node wants anyway.
/// </summary>
public static partial class NativeAllocatorTuning
{
    // glibc malloc.h parameter numbers.
    private const int TrimThreshold = -1;
    private const int TopPad = -2;
    private const int MmapThreshold = -3;

    /// <summary>Allocations up to this size come from the heap (32 MB is glibc's ceiling for the mmap threshold).</summary>
    public const int MmapThresholdBytes = 32 << 20;
    /// <summary>Freed memory at the top of a heap is returned to the kernel only past this much.</summary>
    public const int TrimThresholdBytes = 1 << 30;
    /// <summary>Extra room requested each time a heap grows, so growth is rare.</summary>
    public const int TopPadBytes = 64 << 20;

    private static readonly string[] OperatorVariables = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"];
    private static readonly Lock Gate = new();

    /// <summary>"applied", "operator-env" (MALLOC_* set by the operator win), "unsupported" (not Linux/glibc), or "not-applied".</summary>
    public static string State { get; private set; } = "not-applied";

    /// <summary>Idempotent and process-wide. Leaves the allocator alone when the operator tuned it through the
    /// environment, or when the C library is not glibc.</summary>
    public static string Apply()
    {
        lock (Gate)
        {
            if (State != "not-applied") return State;
            if (!OperatingSystem.IsLinux()) return State = "unsupported";
            if (OperatorVariables.Any(v => Environment.GetEnvironmentVariable(v) is not null)) return State = "operator-env";
            try
            {
                if (GnuLibcVersion() == IntPtr.Zero) return State = "unsupported";
                // Non-short-circuit '&': every setting is attempted even if an earlier one is refused.
                var ok = Mallopt(MmapThreshold, MmapThresholdBytes) == 1
                    & Mallopt(TrimThreshold, TrimThresholdBytes) == 1
                    & Mallopt(TopPad, TopPadBytes) == 1;
                return State = ok ? "applied" : "unsupported";
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return State = "unsupported";
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static partial IntPtr GnuLibcVersion();
}
