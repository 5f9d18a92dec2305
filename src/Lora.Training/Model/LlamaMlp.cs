using Lora.Training.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)).</summary>
public sealed class LlamaMlp : nn.Module
{
    private readonly FrozenLinear gate_proj;
    private readonly FrozenLinear up_proj;
    private readonly FrozenLinear down_proj;
    private readonly int _layer;

    public LlamaMlp(LlamaConfig config, int layer, ScalarType dtype, Device device) : base("mlp")
    {
        gate_proj = new FrozenLinear(config.HiddenSize, config.IntermediateSize, false, dtype, device, "gate_proj");
        up_proj = new FrozenLinear(config.HiddenSize, config.IntermediateSize, false, dtype, device, "up_proj");
        down_proj = new FrozenLinear(config.IntermediateSize, config.HiddenSize, false, dtype, device, "down_proj");
        _layer = layer;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, ILoraDelta? lora)   // (B, T, C) → (B, T, C)
    {
        using var scope = NewDisposeScope();
        var gate = gate_proj.Forward(x, lora, _layer, "gate_proj");   // (B, T, I)
        var up = up_proj.Forward(x, lora, _layer, "up_proj");         // (B, T, I)
        var h = nn.functional.silu(gate).mul(up);
        return down_proj.Forward(h, lora, _layer, "down_proj").MoveToOuterDisposeScope();
    }
}
