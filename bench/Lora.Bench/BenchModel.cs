using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>The benchmark's base: a random-init Llama-layout model of about 5 M parameters.</summary>
public static class BenchModel
{
    public static LlamaConfig Config { get; } = new()
    {
        VocabSize = 4096, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4,
        NumAttentionHeads = 8, NumKeyValueHeads = 4, MaxPositionEmbeddings = 512,
    };

    public static LlamaForCausalLM CreateFp32(long seed = 1234) => LlamaForCausalLM.Create(Config, ScalarType.Float32).InitializeRandom(seed);

    /// <summary>The same weights as <paramref name="source"/>, stored in bfloat16.</summary>
    public static LlamaForCausalLM CastToBf16(LlamaForCausalLM source)
    {
        var target = LlamaForCausalLM.Create(Config, ScalarType.BFloat16);
        using var _ = no_grad();
        var src = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in target.named_parameters()) p.copy_(src[name]);
        return target;
    }

    /// <summary>Parameters of the linear layers (every block linear + lm_head), embeddings and norms excluded.</summary>
    public static long LinearParameters(LlamaConfig c)
    {
        long perLayer = LlamaConfig.LinearModuleNames.Sum(m => { var (o, i) = c.LinearShape(m); return (long)o * i; });
        return perLayer * c.NumHiddenLayers + (long)c.HiddenSize * c.VocabSize;
    }

    /// <summary>Model FLOPs per trained token: forward (2·P) + input-gradient backward (2·P); the base has no weight grads.</summary>
    public static double FlopsPerToken(LlamaConfig c) => 4.0 * LinearParameters(c);

    public static long TotalParameters(LlamaForCausalLM m) => m.parameters().Sum(p => p.numel());

    public static object Shape(LlamaConfig c, long totalParameters) => new Dictionary<string, object>
    {
        ["hidden"] = c.HiddenSize, ["layers"] = c.NumHiddenLayers, ["heads"] = c.NumAttentionHeads,
        ["kv_heads"] = c.NumKeyValueHeads, ["intermediate"] = c.IntermediateSize, ["vocab"] = c.VocabSize,
        ["parameters"] = totalParameters, ["linear_parameters"] = LinearParameters(c), ["init"] = "random",
    };
}
