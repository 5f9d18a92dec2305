using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>
/// HF rotary position embedding, rotate-half layout: inv_freq = θ^(−2i/d), cos/sin of the frequencies duplicated
/// as [f, f], q' = q·cos + rotate_half(q)·sin with rotate_half(x) = cat(−x₂, x₁). Not a module: it holds no
/// checkpoint tensors, and its caches must not enter the state dict.
/// </summary>
public sealed class RotaryEmbedding(int headDim, double theta) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(long T, DeviceType Device, int Index), (Tensor Cos, Tensor Sin)> _cache = new();

    /// <summary>Applies the rotation to x (B, H, T, D).</summary>
    public Tensor Apply(Tensor x)
    {
        var (cos, sin) = CosSin(x.shape[2], x.device);
        using var scope = NewDisposeScope();
        var half = headDim / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], -1);
        return x.mul(cos).add(rotated.mul(sin)).MoveToOuterDisposeScope();
    }

    private (Tensor Cos, Tensor Sin) CosSin(long t, Device device)
    {
        lock (_gate)
        {
            var key = (t, device.type, device.index);
            if (_cache.TryGetValue(key, out var hit)) return hit;
            // The cache outlives every caller's scope: detach, not move (moving would hand it to the caller's scope).
            using var scope = NewDisposeScope();
            var exponent = arange(0, headDim, 2, dtype: ScalarType.Float64).div(headDim);
            var invFreq = pow(theta, exponent).reciprocal();                       // (D/2)
            var positions = arange(t, dtype: ScalarType.Float64);                  // (T)
            var freqs = outer(positions, invFreq);                                 // (T, D/2)
            var emb = cat([freqs, freqs], -1);                                     // (T, D)
            var cos = emb.cos().to(ScalarType.Float32).to(device).DetachFromDisposeScope();
            var sin = emb.sin().to(ScalarType.Float32).to(device).DetachFromDisposeScope();
            _cache[key] = (cos, sin);
            return (cos, sin);
        }
    }

    public void Dispose()
    {
        foreach (var (cos, sin) in _cache.Values) { cos.Dispose(); sin.Dispose(); }
        _cache.Clear();
    }
}
