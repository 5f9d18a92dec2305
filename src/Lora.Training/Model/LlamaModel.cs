using Lora.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>The transformer trunk, HF's "model." prefix: embeddings, blocks, final norm.</summary>
public sealed class LlamaModel : nn.Module
{
    private readonly FrozenEmbedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;

    public LlamaModel(LlamaConfig config, RotaryEmbedding rotary, ScalarType dtype, Device device) : base("model")
    {
        embed_tokens = new FrozenEmbedding(config.VocabSize, config.HiddenSize, dtype, device);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers)
            .Select(i => new LlamaDecoderLayer(config, i, rotary, dtype, device)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, "norm");
        RegisterComponents();
    }

    public Tensor EmbedTokens => embed_tokens.Weight;

    public Tensor Forward(Tensor inputIds, ILoraDelta? lora)   // (B, T) int64 → (B, T, C) float32
    {
        using var scope = NewDisposeScope();
        var x = embed_tokens.Forward(inputIds);   // (B, T, C)
        foreach (var layer in layers) x = layer.Forward(x, lora);
        return norm.Forward(x).MoveToOuterDisposeScope();
    }
}
