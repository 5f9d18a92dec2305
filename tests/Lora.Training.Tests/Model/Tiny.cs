using Lora.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Model;

/// <summary>Shared tiny fixtures: 2 layers, hidden 64, 4 heads, 2 kv heads, intermediate 128, vocab 512.</summary>
internal static class Tiny
{
    public static LlamaConfig Config(Func<LlamaConfig, LlamaConfig>? edit = null)
    {
        var c = new LlamaConfig
        {
            VocabSize = 512, HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 64,
        };
        return edit is null ? c : edit(c);
    }

    /// <summary>A random tiny model (seeded).</summary>
    public static LlamaForCausalLM Model(LlamaConfig? config = null, ScalarType dtype = ScalarType.Float32, long seed = 1) =>
        LlamaForCausalLM.Create(config ?? Config(), dtype).InitializeRandom(seed);

    /// <summary>Random ids (B, T) in [0, vocab).</summary>
    public static Tensor Ids(long b, long t, long seed = 7, long vocab = 512)
    {
        using var g = new Generator((ulong)seed);
        return randint(0, vocab, [b, t], dtype: ScalarType.Int64, generator: g);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = a.to(ScalarType.Float64).sub(b.to(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    public static bool BitEqual(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.equal(b).all().item<bool>();

    /// <summary>Deep copy of every named parameter.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module m) =>
        m.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    /// <summary>Copies every parameter of <paramref name="src"/> present in <paramref name="dst"/> by name (same shape).</summary>
    public static void CopyParameters(nn.Module src, nn.Module dst)
    {
        var target = dst.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, p) in src.named_parameters())
            if (target.TryGetValue(name, out var t) && t.shape.SequenceEqual(p.shape)) t.copy_(p);
    }

    public static void Set(nn.Module m, string name, Tensor value)
    {
        using var _ = no_grad();
        m.named_parameters().Single(p => p.name == name).parameter.copy_(value);
    }

    public static Tensor Get(nn.Module m, string name) => m.named_parameters().Single(p => p.name == name).parameter;
}
