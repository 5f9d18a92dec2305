using Lora.Training.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>Causal grouped-query self-attention with rotary positions (HF LlamaAttention / Qwen2Attention).</summary>
public sealed class LlamaAttention : nn.Module
{
    private readonly FrozenLinear q_proj;
    private readonly FrozenLinear k_proj;
    private readonly FrozenLinear v_proj;
    private readonly FrozenLinear o_proj;
    private readonly LlamaConfig _config;
    private readonly RotaryEmbedding _rotary;
    private readonly int _layer;

    public LlamaAttention(LlamaConfig config, int layer, RotaryEmbedding rotary, ScalarType dtype, Device device)
        : base("self_attn")
    {
        var (qOut, qIn) = config.LinearShape("q_proj");
        var (kvOut, _) = config.LinearShape("k_proj");
        var (oOut, oIn) = config.LinearShape("o_proj");
        q_proj = new FrozenLinear(qIn, qOut, config.AttentionBias, dtype, device, "q_proj");
        k_proj = new FrozenLinear(qIn, kvOut, config.AttentionBias, dtype, device, "k_proj");
        v_proj = new FrozenLinear(qIn, kvOut, config.AttentionBias, dtype, device, "v_proj");
        o_proj = new FrozenLinear(oIn, oOut, config.OutputProjectionBias, dtype, device, "o_proj");
        _config = config;
        _rotary = rotary;
        _layer = layer;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, ILoraDelta? lora)   // (B, T, C) → (B, T, C)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        int nh = _config.NumAttentionHeads, nkv = _config.NumKeyValueHeads, hd = _config.HeadDim;

        var q = q_proj.Forward(x, lora, _layer, "q_proj").view(b, t, nh, hd).transpose(1, 2);    // (B, nh, T, hd)
        var k = k_proj.Forward(x, lora, _layer, "k_proj").view(b, t, nkv, hd).transpose(1, 2);   // (B, nkv, T, hd)
        var v = v_proj.Forward(x, lora, _layer, "v_proj").view(b, t, nkv, hd).transpose(1, 2);   // (B, nkv, T, hd)
        q = _rotary.Apply(q);
        k = _rotary.Apply(k);
        if (nkv != nh)
        {
            // HF repeat_kv: query head h reads K/V head h / (nh / nkv).
            k = k.repeat_interleave(nh / nkv, dim: 1);   // (B, nh, T, hd)
            v = v.repeat_interleave(nh / nkv, dim: 1);
        }
        // Right padding needs no mask: with causal attention a real token never sees a later pad.
        var y = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);   // (B, nh, T, hd)
        y = y.transpose(1, 2).reshape(b, t, nh * hd);                                    // (B, T, C)
        return o_proj.Forward(y, lora, _layer, "o_proj").MoveToOuterDisposeScope();
    }
}
