using static TorchSharp.torch;

namespace Lora.Training.Lora;

/// <summary>The one definition of the LoRA path, shared by every layer and delta provider.</summary>
public static class LoraMath
{
    /// <summary>scaling · dropout(x) Aᵀ Bᵀ.   x (…, in), A (r, in), B (out, r) → (…, out).</summary>
    public static Tensor Delta(Tensor x, Tensor a, Tensor b, double scaling, double dropout = 0, bool training = false,
        Generator? generator = null)
    {
        using var input = x.dtype == a.dtype ? x.alias() : x.to(a.dtype);
        using var dropped = Dropout(input, dropout, training, generator);
        using var h = dropped.matmul(a.t());   // (…, r)
        using var d = h.matmul(b.t());         // (…, out)
        return d.mul(scaling);
    }

    /// <summary>Inverted dropout with an adapter-owned generator, so masks are reproducible per adapter.</summary>
    public static Tensor Dropout(Tensor x, double p, bool training, Generator? generator)
    {
        if (!training || p <= 0) return x.alias();
        using var keep = empty_like(x).bernoulli_(1 - p, generator: generator);
        using var masked = x.mul(keep);
        return masked.div(1 - p);
    }
}
