using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>Token embedding table of the frozen base; may be stored in bfloat16, always returns float32.</summary>
public sealed class FrozenEmbedding : nn.Module
{
    private readonly Parameter weight;   // (V, C)

    public FrozenEmbedding(long vocab, long dim, ScalarType dtype, Device device, string name = "embed_tokens") : base(name)
    {
        weight = nn.Parameter(zeros(vocab, dim, dtype: dtype, device: device), requires_grad: false);
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public Tensor Forward(Tensor ids)   // (B, T) int64 → (B, T, C) float32
    {
        using var flat = ids.reshape(-1);
        using var rows = weight.index_select(0, flat);   // (B·T, C)
        using var e = rows.view(ids.shape[0], ids.shape[1], weight.shape[1]);
        return e.to(ScalarType.Float32);
    }
}
