using Lora.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>
/// A linear layer of the frozen base. Weights may be stored in bfloat16 (half the memory, ~2× matmul speed on
/// AVX512-BF16) while activations stay float32: the product is taken in the weight dtype and cast back, so norms,
/// softmax, residuals and every LoRA parameter stay in float32.
/// </summary>
public sealed class FrozenLinear : nn.Module
{
    private readonly Parameter weight;   // (out, in)
    private readonly Parameter? bias;    // (out)

    public FrozenLinear(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype, Device device, string name = "linear")
        : base(name)
    {
        weight = nn.Parameter(zeros(outFeatures, inFeatures, dtype: dtype, device: device), requires_grad: false);
        if (hasBias) bias = nn.Parameter(zeros(outFeatures, dtype: dtype, device: device), requires_grad: false);
        RegisterComponents();
    }

    public Tensor Weight => weight;
    public Tensor? Bias => bias;
    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];

    /// <summary>
    /// The frozen product plus the LoRA delta the pass supplies for this layer, if any. The base layer never knows
    /// which adapters exist; it only names itself (block index, HF module name) to the delta provider.
    /// </summary>
    public Tensor Forward(Tensor x, ILoraDelta? lora, int layer, string module)   // (…, in) → (…, out)
    {
        var y = Forward(x);
        var delta = lora?.Apply(layer, module, x);
        return delta is null ? y : y.add(delta);
    }

    /// <summary>x (…, in) float32 → (…, out) float32.</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.dtype == weight.dtype) return nn.functional.linear(x, weight, bias);
        using var cast = x.to(weight.dtype);
        using var y = nn.functional.linear(cast, weight, bias);
        return y.to(x.dtype);
    }
}
