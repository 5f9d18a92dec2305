using Lora.Training.Runtime;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Model;

public sealed class AttentionSemanticsTests
{
    public AttentionSemanticsTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Grouped_query_attention_equals_the_model_with_each_kv_head_duplicated()
    {
        using var gqa = Tiny.Model(Tiny.Config(c => c with { NumKeyValueHeads = 2 }), seed: 11);
        using var mha = Tiny.Model(Tiny.Config(c => c with { NumKeyValueHeads = 4 }), seed: 99);
        Tiny.CopyParameters(gqa, mha);   // copies everything whose shape matches; k/v below
        const int hd = 16, groups = 2;   // nh / nkv
        for (int layer = 0; layer < 2; layer++)
            foreach (var proj in new[] { "k_proj", "v_proj" })
            {
                var name = $"model.layers.{layer}.self_attn.{proj}.weight";
                var w = Tiny.Get(gqa, name);   // (2·hd, C)
                // query head h reads kv head h / groups → expanded head h is original head h / groups.
                using var expanded = cat(Enumerable.Range(0, 4).Select(h => w.narrow(0, h / groups * hd, hd)).ToArray(), 0);
                Tiny.Set(mha, name, expanded);
            }
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(2, 7);
        var a = gqa.Forward(ids);
        var b = mha.Forward(ids);
        Assert.True(Tiny.MaxAbsDiff(a, b) < 1e-5, $"diff {Tiny.MaxAbsDiff(a, b)}");
        // The mapping matters: pairing kv heads as h % nkv (wrong) gives different logits.
        var wrong = Tiny.Model(Tiny.Config(c => c with { NumKeyValueHeads = 4 }), seed: 99);
        Tiny.CopyParameters(mha, wrong);
        var wk = Tiny.Get(gqa, "model.layers.0.self_attn.k_proj.weight");
        Tiny.Set(wrong, "model.layers.0.self_attn.k_proj.weight", cat(Enumerable.Range(0, 4).Select(h => wk.narrow(0, h % 2 * hd, hd)).ToArray(), 0));
        Assert.True(Tiny.MaxAbsDiff(a, wrong.Forward(ids)) > 1e-6);
        wrong.Dispose();
    }

    [Fact]
    public void Changing_token_t_does_not_change_logits_at_earlier_positions()
    {
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(1, 8);
        var changed = ids.clone();
        changed[0, 5] = tensor((ids[0, 5].item<long>() + 1) % 512);
        var a = model.Forward(ids);
        var b = model.Forward(changed);
        Assert.True(Tiny.BitEqual(a.narrow(1, 0, 5), b.narrow(1, 0, 5)) || Tiny.MaxAbsDiff(a.narrow(1, 0, 5), b.narrow(1, 0, 5)) < 1e-6);
        Assert.True(Tiny.MaxAbsDiff(a.narrow(1, 5, 3), b.narrow(1, 5, 3)) > 1e-4, "later positions must see the change");
    }

    [Fact]
    public void Right_padding_does_not_change_logits_of_real_tokens()
    {
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(1, 6);
        var padded = cat([ids, zeros(1, 4, dtype: ScalarType.Int64)], 1);
        var a = model.Forward(ids);
        var b = model.Forward(padded).narrow(1, 0, 6);
        Assert.True(Tiny.MaxAbsDiff(a, b) < 1e-5, $"diff {Tiny.MaxAbsDiff(a, b)}");
    }

    [Fact]
    public void Rows_of_a_batch_are_independent()
    {
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        var ids = Tiny.Ids(3, 5);
        var batched = model.Forward(ids);
        var single = model.Forward(ids.narrow(0, 1, 1));
        Assert.True(Tiny.MaxAbsDiff(batched.narrow(0, 1, 1), single) < 1e-5);
    }
}
