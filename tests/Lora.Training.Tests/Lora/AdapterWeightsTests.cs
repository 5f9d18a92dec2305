using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Peft;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Lora;

public sealed class AdapterWeightsTests
{
    public AdapterWeightsTests() => TorchRuntime.EnsureLoaded();

    /// <summary>"meta" stands in for a GPU here: a device other than the CPU the factors were loaded on.</summary>
    [Theory]
    [InlineData("cpu")]
    [InlineData("meta")]
    public void Moving_an_adapter_puts_every_factor_on_the_device_and_leaves_the_original_usable(string device)
    {
        using var original = TinyAdapter.Create(new LoraSettings { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"] });
        var target = new Device(device);
        using (var moved = original.To(target))
        {
            Assert.Equal(original.Pairs.Keys.Order(), moved.Pairs.Keys.Order());
            Assert.All(moved.Pairs.Values, p => Assert.True(p.A.device_type == target.type && p.B.device_type == target.type, $"a factor stayed on {p.A.device}"));
            Assert.All(moved.Pairs, p => Assert.Equal(original.Pairs[p.Key].B.shape, p.Value.B.shape));
        }
        Assert.All(original.Pairs.Values, p => Assert.True(p.B.abs().sum().item<float>() > 0, "disposing the moved copy broke the original"));
    }
}
