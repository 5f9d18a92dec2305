using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>
/// HF rotary position embedding, rotate-half layout: inv_freq = θ^(−2i/d), cos/sin of the frequencies duplicated
/// as [f, f], q' = q·cos + rotate_half(q)·sin with rotate_half(x) = cat(−x₂, x₁). Not a module: it holds no
/// checkpoint tensors, and its tables must not enter the state dict. rope_scaling, when set, rescales the
/// frequencies once, before the tables are built. One table per device covers every position up
/// to the model's context, so memory stays bounded whatever sequence lengths arrive.
/// </summary>
public sealed class RotaryEmbedding(int headDim, double theta, int maxPositions, RopeScaling? scaling = null) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(DeviceType Device, int Index), (Tensor Cos, Tensor Sin)> _tables = new();

    /// <summary>Applies the rotation to x (B, H, T, D).</summary>
    public Tensor Apply(Tensor x)
    {
        var (cos, sin) = Table(x.device);
        using var scope = NewDisposeScope();
        var t = x.shape[2];
        var half = headDim / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], -1);
        return x.mul(cos.narrow(0, 0, t)).add(rotated.mul(sin.narrow(0, 0, t))).MoveToOuterDisposeScope();
    }

    private (Tensor Cos, Tensor Sin) Table(Device device)
    {
        lock (_gate)
        {
            var key = (device.type, device.index);
            if (_tables.TryGetValue(key, out var hit)) return hit;
            using var scope = NewDisposeScope();
            var invFreq = tensor(InverseFrequencies(), ScalarType.Float64);        // (D/2)
            var positions = arange(maxPositions, dtype: ScalarType.Float64);       // (P)
            var freqs = outer(positions, invFreq);                                 // (P, D/2)
            var emb = cat([freqs, freqs], -1);                                     // (P, D)
            // The table outlives every caller's scope: detach, not move (moving would hand it to the caller's scope).
            var cos = emb.cos().to(ScalarType.Float32).to(device).DetachFromDisposeScope();
            var sin = emb.sin().to(ScalarType.Float32).to(device).DetachFromDisposeScope();
            _tables[key] = (cos, sin);
            return (cos, sin);
        }
    }

    /// <summary>θ^(−2i/d) for each rotary pair i, rescaled by rope_scaling when the config has one.</summary>
    public double[] InverseFrequencies()
    {
        var plain = Enumerable.Range(0, headDim / 2).Select(i => 1.0 / Math.Pow(theta, 2.0 * i / headDim)).ToArray();
        return scaling?.Apply(plain) ?? plain;
    }

    public void Dispose()
    {
        foreach (var (cos, sin) in _tables.Values) { cos.Dispose(); sin.Dispose(); }
        _tables.Clear();
    }
}
