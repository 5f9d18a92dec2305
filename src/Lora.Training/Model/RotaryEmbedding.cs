using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>
/// HF rotary position embedding, rotate-half layout: inv_freq = θ^(−2i/d), cos/sin of the frequencies duplicated
/// as [f, f], q' = q·cos + rotate_half(q)·sin with rotate_half(x) = cat(−x₂, x₁). Not a module: it holds no
/// checkpoint tensors, and its tables must not enter the state dict. rope_scaling, when set, rescales the
/// frequencies once, before the tables are built. One table per device, grown (doubling) to the longest sequence
/// seen and never past the model's context: a Llama 3.1 context of 131,072 positions would be 134 MB of cos/sin
/// per device (and 0.5 GB while built) for sequences that are usually a few hundred tokens.
/// </summary>
public sealed class RotaryEmbedding(int headDim, double theta, int maxPositions, RopeScaling? scaling = null) : IDisposable
{
    private readonly Lock _gate = new();
    private const int MinPositions = 512;
    private readonly Dictionary<(DeviceType Device, int Index), (Tensor Cos, Tensor Sin)> _tables = new();
    /// <summary>Outgrown tables: a caller may still hold one, so they are freed with the embedding, not on growth.</summary>
    private readonly List<Tensor> _retired = [];

    /// <summary>Applies the rotation to x (B, H, T, D).</summary>
    public Tensor Apply(Tensor x)
    {
        var t = x.shape[2];
        var (cos, sin) = Table(x.device, t);
        using var scope = NewDisposeScope();
        var half = headDim / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], -1);
        return x.mul(cos.narrow(0, 0, t)).add(rotated.mul(sin.narrow(0, 0, t))).MoveToOuterDisposeScope();
    }

    private (Tensor Cos, Tensor Sin) Table(Device device, long needed)
    {
        lock (_gate)
        {
            var key = (device.type, device.index);
            var cached = _tables.TryGetValue(key, out var hit);
            if (cached && (hit.Cos.shape[0] >= needed || hit.Cos.shape[0] == maxPositions)) return hit;
            if (cached)
            {
                _retired.Add(hit.Cos);
                _retired.Add(hit.Sin);
            }
            var grown = Math.Max(needed, Math.Max(MinPositions, cached ? 2 * hit.Cos.shape[0] : 0));
            var length = Math.Min(maxPositions, grown);
            using var scope = NewDisposeScope();
            var invFreq = tensor(InverseFrequencies(), ScalarType.Float64);        // (D/2)
            var positions = arange(length, dtype: ScalarType.Float64);             // (P)
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
        foreach (var t in _retired) t.Dispose();
        _tables.Clear();
        _retired.Clear();
    }
}
