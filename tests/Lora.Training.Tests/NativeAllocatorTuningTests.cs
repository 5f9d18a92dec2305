using Lora.Training.Runtime;

namespace Lora.Training.Tests;

public sealed class NativeAllocatorTuningTests
{
    [Fact]
    public void Tuning_is_applied_through_glibc_on_linux_unless_the_operator_set_malloc_variables()
    {
        var state = NativeAllocatorTuning.Apply();
        var operatorSet = new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_" }
            .Any(v => Environment.GetEnvironmentVariable(v) is not null);
        var expected = !OperatingSystem.IsLinux() ? "unsupported" : operatorSet ? "operator-env" : "applied";
        Assert.Equal(expected, state);
        Assert.Equal(state, NativeAllocatorTuning.Apply());   // idempotent
    }
}
