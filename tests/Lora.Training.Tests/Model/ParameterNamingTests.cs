using Lora.Training.Runtime;

namespace Lora.Training.Tests.Model;

public sealed class ParameterNamingTests
{
    public ParameterNamingTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Named_parameters_follow_huggingface_llama_names()
    {
        using var model = Tiny.Model();
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        foreach (var expected in new[]
        {
            "model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
            "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
            "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
            "model.layers.1.mlp.down_proj.weight", "model.norm.weight", "lm_head.weight",
        })
            Assert.Contains(expected, names);
        // 1 embed + 2 × (4 attn + 3 mlp + 2 norms) + final norm + lm_head
        Assert.Equal(1 + 2 * 9 + 1 + 1, names.Count);
    }

    [Fact]
    public void Shapes_match_huggingface_layout()
    {
        using var model = Tiny.Model();
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter.shape);
        Assert.Equal(new long[] { 512, 64 }, p["model.embed_tokens.weight"]);
        Assert.Equal(new long[] { 64, 64 }, p["model.layers.0.self_attn.q_proj.weight"]);
        Assert.Equal(new long[] { 32, 64 }, p["model.layers.0.self_attn.k_proj.weight"]);
        Assert.Equal(new long[] { 128, 64 }, p["model.layers.0.mlp.gate_proj.weight"]);
        Assert.Equal(new long[] { 64, 128 }, p["model.layers.0.mlp.down_proj.weight"]);
        Assert.Equal(new long[] { 512, 64 }, p["lm_head.weight"]);
    }

    [Fact]
    public void Every_base_parameter_is_frozen()
    {
        using var model = Tiny.Model();
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Linear_lookup_by_module_path_returns_the_layer_and_rejects_unknown_paths()
    {
        using var model = Tiny.Model();
        var q = model.Linear("model.layers.1.self_attn.q_proj");
        Assert.Equal(64, q.InFeatures);
        var ex = Assert.Throws<ArgumentException>(() => model.Linear("model.layers.9.self_attn.q_proj"));
        Assert.Contains("model.layers.9.self_attn.q_proj", ex.Message);
    }
}
