using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>HF LlamaRMSNorm: x · rsqrt(mean(x²) + eps) · weight, computed in float32.</summary>
public sealed class RmsNorm : nn.Module
{
    private readonly Parameter weight;   // (C)
    private readonly double _eps;

    public RmsNorm(long dim, double eps, Device device, string name = "norm") : base(name)
    {
        weight = nn.Parameter(ones(dim, device: device), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)   // (B, T, C) → (B, T, C)
    {
        using var scope = NewDisposeScope();
        var variance = x.pow(2).mean([-1], keepdim: true);
        var normed = x.mul(variance.add(_eps).rsqrt());
        return normed.mul(weight.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
