using static TorchSharp.torch;

namespace Lora.Training.Lora;

/// <summary>
/// The LoRA side path of every targeted linear layer, supplied to the frozen base per forward pass. The base
/// model knows nothing about adapters: it asks this for a delta and adds it. One implementation serves a single
/// adapter (inference, PEFT checks), another serves many adapters on disjoint row slices of one fused batch.
/// </summary>
public interface ILoraDelta
{
    /// <summary>
    /// Returns scaling·dropout(x)·Aᵀ·Bᵀ for the linear <paramref name="module"/> of block <paramref name="layer"/>,
    /// shape (B, T, out) in float32, or null when no adapter in this pass targets it.
    /// </summary>
    Tensor? Apply(int layer, string module, Tensor x);
}
