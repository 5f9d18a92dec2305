using Lora.Training.Model;
using Lora.Training.Runtime;

namespace Lora.Training.Tests.Model;

public sealed class LlamaConfigJsonTests
{
    public LlamaConfigJsonTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void ToJson_then_FromJson_round_trips_every_field()
    {
        var c = Tiny.Config(x => x with
        {
            RmsNormEps = 1e-6, RopeTheta = 500000, TieWordEmbeddings = true, AttentionBias = true, ModelType = "qwen2",
            BosTokenId = 1, EosTokenId = 2, TorchDtype = "bfloat16", MaxPositionEmbeddings = 4096,
        });
        Assert.Equal(c, LlamaConfig.FromJson(c.ToJson()));
        var plain = Tiny.Config();
        Assert.Equal(plain, LlamaConfig.FromJson(plain.ToJson()));
    }

    [Fact]
    public void FromJson_reads_hf_defaults_for_missing_optional_fields()
    {
        var c = LlamaConfig.FromJson("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4}""");
        Assert.Equal(4, c.NumKeyValueHeads);   // MHA when absent, as HF
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal("llama", c.ModelType);
        Assert.True(LlamaConfig.FromJson("""{"model_type":"qwen2","vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4}""").AttentionBias);
    }

    [Theory]
    [InlineData("""{"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4}""", "vocab_size")]
    [InlineData("""{"vocab_size":"big","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4}""", "vocab_size")]
    [InlineData("""{"vocab_size":512,"hidden_size":66,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4}""", "hidden_size")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":3}""", "num_key_value_heads")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":0,"num_attention_heads":4}""", "num_hidden_layers")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rms_norm_eps":-1}""", "rms_norm_eps")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"torch_dtype":"int8"}""", "torch_dtype")]
    // Fields that would make a real checkpoint load and run as a different model than HF's.
    [InlineData("""{"model_type":"gemma","vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4}""", "model_type 'gemma'")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"hidden_act":"gelu"}""", "hidden_act 'gelu'")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"mlp_bias":true}""", "mlp_bias")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rope_scaling":{"rope_type":"dynamic","factor":2.0}}""", "rope_scaling of type 'dynamic'")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rope_scaling":{"rope_type":"llama3","factor":8.0}}""", "needs 'low_freq_factor'")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rope_scaling":{"type":"linear","factor":0.5}}""", "rope_scaling.factor")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rope_scaling":{"type":"linear","factor":"2"}}""", "rope_scaling.factor")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rope_scaling":{"factor":2.0}}""", "rope_type")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":4,"high_freq_factor":1,"original_max_position_embeddings":8192}}""", "high_freq_factor")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":81.5}}""", "original_max_position_embeddings")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"head_dim":32}""", "head_dim 32")]
    [InlineData("""{"model_type":"qwen2","vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"sliding_window":16,"use_sliding_window":true}""", "use_sliding_window")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"tie_word_embeddings":"true"}""", "field 'tie_word_embeddings' must be true or false (got \"true\")")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"attention_bias":1}""", "field 'attention_bias' must be true or false (got 1)")]
    [InlineData("""{"model_type":2,"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4}""", "field 'model_type' must be a string (got 2)")]
    [InlineData("""{"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"dtype":["bfloat16"]}""", "field 'dtype' must be a string")]
    [InlineData("[]", "expected a JSON object of config fields (got [])")]
    public void FromJson_errors_name_the_bad_field(string json, string field)
    {
        var ex = Assert.ThrowsAny<Exception>(() => LlamaConfig.FromJson(json, "m/config.json"));
        Assert.IsType<InvalidDataException>(ex);
        Assert.Contains(field, ex.Message);
        Assert.Contains("m/config.json", ex.Message);
    }

    [Fact]
    public void Fields_that_change_nothing_are_accepted_as_real_configs_write_them()
    {
        var c = LlamaConfig.FromJson("""
            {"model_type":"llama","vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
             "num_attention_heads":4,"hidden_act":"silu","mlp_bias":false,"rope_scaling":null,"head_dim":16,
             "sliding_window":null,"pretraining_tp":1}
            """);
        Assert.Equal(16, c.HeadDim);
    }

    [Fact]
    public void Llama_attention_bias_biases_o_proj_too_and_qwen2_does_not()
    {
        Assert.True(Tiny.Config(c => c with { AttentionBias = true, ModelType = "llama" }).OutputProjectionBias);
        Assert.False(Tiny.Config(c => c with { AttentionBias = true, ModelType = "qwen2" }).OutputProjectionBias);
        using var llama = LlamaForCausalLM.Create(Tiny.Config(c => c with { AttentionBias = true, ModelType = "llama" }));
        Assert.Contains(llama.named_parameters(), p => p.name == "model.layers.0.self_attn.o_proj.bias");
    }

    [Fact]
    public void FromJson_rejects_invalid_json_naming_the_source()
    {
        var ex = Assert.Throws<InvalidDataException>(() => LlamaConfig.FromJson("{not json", "x.json"));
        Assert.Contains("x.json", ex.Message);
    }
}
