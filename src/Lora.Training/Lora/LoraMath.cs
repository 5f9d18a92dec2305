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

    /// <summary>
    /// W + scaling·B·A in float32 on W's device — the one definition of a merge. Refuses non-finite results
    /// (PEFT's safe_merge): a broken adapter must never reach a merged weight.
    /// </summary>
    public static Tensor MergedWeight(Tensor w, Tensor a, Tensor b, double scaling, string module)
    {
        using var scope = NewDisposeScope();
        var sum = w.to(ScalarType.Float32).add(b.to(ScalarType.Float32, w.device).matmul(a.to(ScalarType.Float32, w.device)), alpha: scaling);
        if (!isfinite(sum).all().item<bool>())
            throw new InvalidDataException($"{module}: merged weight contains NaN or Inf; refusing to merge (the adapter is broken).");
        return sum.MoveToOuterDisposeScope();
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
