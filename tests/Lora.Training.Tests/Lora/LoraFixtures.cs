using Lora.Training.Lora;
using Lora.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Lora;

internal static class LoraFixtures
{
    /// <summary>A frozen linear layer with normal(0, 0.05) weights drawn from a seed.</summary>
    public static FrozenLinear Frozen(long inF, long outF, long seed = 1, bool bias = false)
    {
        var layer = new FrozenLinear(inF, outF, bias, ScalarType.Float32, CPU);
        using var g = new Generator((ulong)seed);
        using var _ = no_grad();
        layer.Weight.normal_(0, 0.05, generator: g);
        layer.Bias?.normal_(0, 0.05, generator: g);
        return layer;
    }

    public static LoraLinear Wrap(FrozenLinear frozen, LoraSettings settings, long seed = 2) =>
        new(frozen, settings, new Generator((ulong)seed));

    /// <summary>Gives B random values so the adapter is not the identity change.</summary>
    public static void RandomizeB(LoraLinear layer, long seed = 3, double std = 0.1)
    {
        using var g = new Generator((ulong)seed);
        using var _ = no_grad();
        layer.B.normal_(0, std, generator: g);
    }

    public static Tensor Input(long rows, long inF, long seed = 4)
    {
        using var g = new Generator((ulong)seed);
        return randn([rows, inF], generator: g);
    }
}
