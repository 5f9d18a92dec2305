using Lora.Training.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>Pre-norm block: x + attn(norm(x)), then h + mlp(norm(h)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LlamaMlp mlp;

    public LlamaDecoderLayer(LlamaConfig config, int layer, RotaryEmbedding rotary, ScalarType dtype, Device device)
        : base($"layer{layer}")
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, "input_layernorm");
        self_attn = new LlamaAttention(config, layer, rotary, dtype, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, "post_attention_layernorm");
        mlp = new LlamaMlp(config, layer, dtype, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, ILoraDelta? lora)   // (B, T, C) → (B, T, C)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.Forward(input_layernorm.Forward(x), lora));
        return h.add(mlp.Forward(post_attention_layernorm.Forward(h), lora)).MoveToOuterDisposeScope();
    }
}
