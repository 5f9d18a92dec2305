using Lora.Training.Runtime;
using TorchSharp;

namespace Lora.Training.Tests;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void Native_library_loads_and_a_tensor_operation_runs()
    {
        TorchRuntime.EnsureLoaded();
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var c = a.matmul(b);
        Assert.Equal(new long[] { 2, 4 }, c.shape);
        Assert.Equal(3f, c[1, 2].item<float>());
    }

    [Fact]
    public void Device_setting_auto_resolves_and_unknown_is_rejected()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice("cpu").type);
        var auto = TorchRuntime.ResolveDevice("auto");
        Assert.True(auto.type is DeviceType.CPU or DeviceType.CUDA);
        var ex = Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("tpu"));
        Assert.Contains("tpu", ex.Message);
    }
}
