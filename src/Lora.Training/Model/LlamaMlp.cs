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
        var gate = Project(gate_proj, "gate_proj", x, lora);   // (B, T, I)
        var up = Project(up_proj, "up_proj", x, lora);         // (B, T, I)
        var h = nn.functional.silu(gate).mul(up);
        return Project(down_proj, "down_proj", h, lora).MoveToOuterDisposeScope();
    }

    private Tensor Project(FrozenLinear linear, string module, Tensor x, ILoraDelta? lora)
    {
        var y = linear.Forward(x);
        var delta = lora?.Apply(_layer, module, x);
        return delta is null ? y : y.add(delta);
    }
}
