using System.Reflection;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Cli.Commands.Local;

/// <summary>
/// Workaround for a Lora.Training bug (reported, not fixable from here): RotaryEmbedding caches cos/sin per
/// sequence length with MoveToOuterDisposeScope, which hands them to the caller's dispose scope (LlamaAttention's),
/// so the cached tensors die after the first layer and every later use fails with "Tensor invalid -- empty handle".
/// Filling the cache from a thread with no dispose scope open leaves the tensors unowned, so they live as long as
/// the model. Only the lengths a run will use are filled: the cache costs T·head_dim per length either way.
/// Harmless once the bug is fixed (the entries are then simply already present).
/// </summary>
internal static class RotaryCacheWarmup
{
    private static readonly FieldInfo? RotaryField =
        typeof(LlamaForCausalLM).GetField("_rotary", BindingFlags.Instance | BindingFlags.NonPublic);

    public static void Prewarm(LlamaForCausalLM model, IEnumerable<int> sequenceLengths)
    {
        if (RotaryField?.GetValue(model) is not RotaryEmbedding rotary) return;
        foreach (var t in sequenceLengths.Where(t => t > 0).Distinct())
        {
            using var probe = zeros([1, 1, t, model.Config.HeadDim], device: model.Device);
            using var _ = rotary.Apply(probe);
        }
    }
}
