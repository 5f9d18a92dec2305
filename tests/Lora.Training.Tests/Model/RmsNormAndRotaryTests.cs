using Lora.Training.Model;
using Lora.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Model;

public sealed class RmsNormAndRotaryTests
{
    public RmsNormAndRotaryTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void RmsNorm_computes_x_times_rsqrt_mean_square_plus_eps_times_weight()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var norm = new RmsNorm(16, 1e-5, CPU);
        var w = randn(16);
        Tiny.Set(norm, "weight", w);
        var x = randn(2, 3, 16).mul(3);
        var y = norm.Forward(x);
        var xd = x.to(ScalarType.Float64);
        var expected = xd.div(xd.pow(2).mean([-1], keepdim: true).add(1e-5).sqrt()).mul(w.to(ScalarType.Float64));
        Assert.True(Tiny.MaxAbsDiff(y, expected) < 1e-5, $"max diff {Tiny.MaxAbsDiff(y, expected)}");
        // eps matters for tiny inputs: with eps = 1e-5 an all-1e-4 row is far from unit RMS.
        var small = full(1, 1, 16, 1e-4f);
        var ys = norm.Forward(small);
        var unitW = ys.div(w);
        Assert.InRange(unitW.mean().item<float>(), 1e-4f / MathF.Sqrt(1e-8f + 1e-5f) - 1e-3f, 1e-4f / MathF.Sqrt(1e-8f + 1e-5f) + 1e-3f);
    }

    [Fact]
    public void Rotary_at_position_zero_is_identity_and_every_position_preserves_norm()
    {
        using var scope = NewDisposeScope();
        using var rotary = new RotaryEmbedding(16, 10000, 64);
        manual_seed(4);
        var x = randn(2, 3, 9, 16);   // (B, H, T, D)
        var y = rotary.Apply(x);
        Assert.True(Tiny.MaxAbsDiff(y.narrow(2, 0, 1), x.narrow(2, 0, 1)) < 1e-7);
        var nx = x.norm(dim: -1);
        var ny = y.norm(dim: -1);
        Assert.True(Tiny.MaxAbsDiff(nx, ny) < 1e-5);
        Assert.True(Tiny.MaxAbsDiff(y.narrow(2, 1, 8), x.narrow(2, 1, 8)) > 1e-2, "positions > 0 must rotate");
    }

    [Fact]
    public void Rotary_uses_hf_rotate_half_layout_with_theta_frequencies()
    {
        using var scope = NewDisposeScope();
        const int d = 8;
        using var rotary = new RotaryEmbedding(d, 10000, 64);
        var x = arange(1, d + 1, dtype: ScalarType.Float32).view(1, 1, 1, d).expand(1, 1, 3, d).contiguous();
        var y = rotary.Apply(x);
        var xs = x[0, 0, 2].data<float>().ToArray();
        var ys = y[0, 0, 2].data<float>().ToArray();
        const int pos = 2;
        for (int i = 0; i < d / 2; i++)
        {
            var f = pos / Math.Pow(10000, 2.0 * i / d);
            var e1 = xs[i] * Math.Cos(f) - xs[i + d / 2] * Math.Sin(f);
            var e2 = xs[i + d / 2] * Math.Cos(f) + xs[i] * Math.Sin(f);
            Assert.Equal(e1, ys[i], 4);
            Assert.Equal(e2, ys[i + d / 2], 4);
        }
    }

    [Fact]
    public void Rotary_cache_survives_the_dispose_scope_of_its_first_caller()
    {
        using var rotary = new RotaryEmbedding(16, 10000, 64);
        using (var first = NewDisposeScope())
        {
            var x = ones(1, 1, 5, 16);
            rotary.Apply(x);
        }
        using var scope = NewDisposeScope();
        var y = rotary.Apply(ones(1, 1, 5, 16));
        Assert.True(y.isfinite().all().item<bool>());
        Assert.Equal(new long[] { 1, 1, 5, 16 }, y.shape);
    }
}
