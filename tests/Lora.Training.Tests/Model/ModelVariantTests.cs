using Lora.Training.Runtime;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Model;

public sealed class ModelVariantTests
{
    public ModelVariantTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Tied_embeddings_model_has_no_lm_head_and_projects_with_embed_tokens()
    {
        using var tied = Tiny.Model(Tiny.Config(c => c with { TieWordEmbeddings = true }), seed: 5);
        using var untied = Tiny.Model(seed: 6);
        Assert.DoesNotContain(tied.named_parameters(), p => p.name.StartsWith("lm_head"));
        Tiny.CopyParameters(tied, untied);
        Tiny.Set(untied, "lm_head.weight", Tiny.Get(tied, "model.embed_tokens.weight"));
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(2, 5);
        var a = tied.Forward(ids);
        Assert.Equal(new long[] { 2, 5, 512 }, a.shape);
        Assert.True(Tiny.MaxAbsDiff(a, untied.Forward(ids)) < 1e-6);
    }

    [Fact]
    public void Attention_bias_adds_q_k_v_biases_but_not_o_proj()
    {
        using var qwen = Tiny.Model(Tiny.Config(c => c with { AttentionBias = true, ModelType = "qwen2" }), seed: 5);
        var names = qwen.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", names);
        Assert.Contains("model.layers.0.self_attn.k_proj.bias", names);
        Assert.Contains("model.layers.1.self_attn.v_proj.bias", names);
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", names);
        Assert.DoesNotContain("model.layers.0.mlp.up_proj.bias", names);

        using var plain = Tiny.Model(seed: 6);
        Tiny.CopyParameters(qwen, plain);
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(1, 5);
        Assert.True(Tiny.MaxAbsDiff(qwen.Forward(ids), plain.Forward(ids)) < 1e-6, "zero biases = no biases");
        Tiny.Set(qwen, "model.layers.0.self_attn.v_proj.bias", full(32, 0.5f));
        var withBias = qwen.Forward(ids);
        Assert.True(Tiny.MaxAbsDiff(withBias, plain.Forward(ids)) > 1e-4, "v bias must reach the output");
        // The bias is exactly an additive term of v_proj: fold it into the embedding-free check via FrozenLinear.
        var v = qwen.Linear("model.layers.0.self_attn.v_proj");
        var x = randn(2, 64);
        var expected = x.matmul(v.Weight.t()).add(0.5f);
        Assert.True(Tiny.MaxAbsDiff(v.Forward(x), expected) < 1e-5);
    }

    [Fact]
    public void Bfloat16_base_stores_matrices_in_bf16_and_gives_logits_close_to_fp32()
    {
        using var fp32 = Tiny.Model(seed: 8);
        using var bf16 = Tiny.Model(dtype: ScalarType.BFloat16, seed: 9);
        Tiny.CopyParameters(fp32, bf16);
        foreach (var (name, p) in bf16.named_parameters())
            if (!name.EndsWith("norm.weight")) Assert.Equal(ScalarType.BFloat16, p.dtype);
        Assert.True(bf16.WeightBytes < fp32.WeightBytes * 0.55, $"{bf16.WeightBytes} vs {fp32.WeightBytes}");
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(2, 6);
        var a = fp32.Forward(ids);
        var b = bf16.Forward(ids);
        Assert.Equal(ScalarType.Float32, b.dtype);
        var rel = Tiny.MaxAbsDiff(a, b) / a.abs().max().item<float>();
        Assert.True(rel < 0.05, $"relative diff {rel}");
    }

    [Fact]
    public void Float16_or_other_dtypes_are_rejected_for_the_base()
    {
        var ex = Assert.Throws<ArgumentException>(() => global::Lora.Training.Model.LlamaForCausalLM.Create(Tiny.Config(), ScalarType.Float16));
        Assert.Contains("Float16", ex.Message);
    }

    [Fact]
    public void Sequence_longer_than_max_position_embeddings_fails_with_a_clear_error()
    {
        using var model = Tiny.Model(Tiny.Config(c => c with { MaxPositionEmbeddings = 16 }));
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(Tiny.Ids(1, 17)));
        Assert.Contains("17", ex.Message);
        Assert.Contains("max_position_embeddings", ex.Message);
        Assert.Equal(new long[] { 1, 16, 512 }, model.Forward(Tiny.Ids(1, 16)).shape);
    }
}
