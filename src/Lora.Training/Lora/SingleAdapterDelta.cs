using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Lora;

/// <summary>One adapter applied to every row of the batch: inference, evaluation, generation with a PEFT adapter.</summary>
public sealed class SingleAdapterDelta(AdapterWeights adapter) : ILoraDelta
{
    private readonly double _scaling = adapter.Settings.Scaling;

    public Tensor? Apply(int layer, string module, Tensor x)
    {
        var pair = adapter.Find(LlamaConfig.ModulePath(layer, module));
        return pair is null ? null : LoraMath.Delta(x, pair.A, pair.B, _scaling);
    }
}
