using Lora.Training.Checkpoints;
using Lora.Training.Runtime;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Checkpoints;

public sealed class StateDictBinderTests
{
    public StateDictBinderTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Copies_by_name_converting_dtype_and_ignoring_extra_buffers()
    {
        using var src = full(4, 4, 1.5f).to(ScalarType.BFloat16);
        using var invFreq = ones(8);
        using var target = zeros(4, 4);
        var source = new Dictionary<string, Tensor> { ["w"] = src, ["model.layers.0.self_attn.rotary_emb.inv_freq"] = invFreq };

        var result = StateDictBinder.Bind(source, [("w", target)]);

        Assert.Equal(1, result.Bound);
        Assert.Equal(ScalarType.Float32, target.dtype);
        Assert.Equal(1.5f, target[3, 3].item<float>());
        Assert.Equal(["model.layers.0.self_attn.rotary_emb.inv_freq"], result.Ignored);
    }

    [Fact]
    public void Mis_shaped_and_missing_tensors_are_all_named_and_nothing_is_copied()
    {
        const string q = "model.layers.0.self_attn.q_proj.weight";
        using var bad = ones(64, 32);
        using var good = ones(8);
        using var qTarget = zeros(64, 64);
        using var normTarget = zeros(8);
        using var k = zeros(32, 64);
        using var v = zeros(32, 64);
        var source = new Dictionary<string, Tensor> { [q] = bad, ["model.norm.weight"] = good };

        var ex = Assert.Throws<InvalidDataException>(() => StateDictBinder.Bind(source,
            [(q, qTarget), ("model.norm.weight", normTarget), ("model.layers.0.self_attn.k_proj.weight", k), ("model.layers.0.self_attn.v_proj.weight", v)]));

        Assert.Contains($"{q}: checkpoint has [64, 32], model expects [64, 64]", ex.Message);
        Assert.Contains("model.layers.0.self_attn.k_proj.weight", ex.Message);
        Assert.Contains("model.layers.0.self_attn.v_proj.weight", ex.Message);
        Assert.Equal(0f, normTarget.sum().item<float>()); // validated before any copy
    }

    [Fact]
    public void Allow_missing_reports_instead_of_throwing()
    {
        using var target = full(2, 2, 7f);
        var result = StateDictBinder.Bind(new Dictionary<string, Tensor>(), [("x", target)], allowMissing: true);
        Assert.Equal(["x"], result.Missing);
        Assert.Equal(7f, target[0, 0].item<float>());
    }

    [Fact]
    public void An_untied_head_missing_from_the_checkpoint_is_missing_not_the_embeddings()
    {
        using var embed = full(10, 4, 2f);
        using var embedTarget = zeros(10, 4);
        using var headTarget = zeros(10, 4);
        var e = Assert.Throws<InvalidDataException>(() => StateDictBinder.Bind(
            new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = embed },
            [("model.embed_tokens.weight", embedTarget), ("lm_head.weight", headTarget)]));
        Assert.Contains("lm_head.weight", e.Message);
        Assert.Equal(0f, headTarget[9, 3].item<float>());
    }
}
