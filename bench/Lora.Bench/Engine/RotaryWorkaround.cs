using System.Reflection;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Bench.Engine;

/// <summary>
/// src bug at dd6d17f: RotaryEmbedding.CosSin builds its cached cos/sin in a dispose scope and calls
/// MoveToOuterDisposeScope, which hands them to the caller's scope (LlamaAttention.Forward's), so the cache entry is
/// disposed after the first layer and the next layer throws "Tensor invalid -- empty handle". Filling the cache
/// from a thread with no active dispose scope leaves the tensors unowned, so they live as long as the cache.
/// Fix in src: create the cached tensors outside any scope (or <c>DetachFromDisposeScope()</c> them).
/// </summary>
public static class RotaryWorkaround
{
    public const string Description = "RotaryEmbedding.CosSin: cached cos/sin are MoveToOuterDisposeScope'd into the caller's scope "
        + "and disposed after the first layer; bench pre-fills the cache outside any scope.";

    public static void Prefill(LlamaForCausalLM model, params int[] lengths)
    {
        var field = typeof(LlamaForCausalLM).GetField("_rotary", BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new MissingFieldException("LlamaForCausalLM._rotary");
        var rotary = (RotaryEmbedding)field.GetValue(model)!;
        var thread = new Thread(() =>   // a fresh thread has no dispose scope
        {
            foreach (var t in lengths)
            {
                using var x = zeros(1, 1, t, model.Config.HeadDim, device: model.Device);
                using var y = rotary.Apply(x);
            }
        });
        thread.Start();
        thread.Join();
    }
}
