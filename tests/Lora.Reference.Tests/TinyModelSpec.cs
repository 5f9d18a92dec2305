namespace Lora.Reference.Tests;

/// <summary>Shape and hyper-parameters of a generated fixture model; serialised to a HF config.json.</summary>
public sealed record TinyModelSpec(
    int VocabSize = 11,
    int HiddenSize = 8,
    int IntermediateSize = 12,
    int Layers = 2,
    int Heads = 2,
    int KvHeads = 2,
    double RmsNormEps = 1e-5,
    double RopeTheta = 10000.0,
    bool TieWordEmbeddings = false,
    bool QkvBias = false)
{
    public int HeadDim => HiddenSize / Heads;

    public string ConfigJson() => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["architectures"] = new[] { QkvBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM" },
        // q/k/v biases without an o_proj bias are Qwen2's layout; Llama's attention_bias also biases o_proj.
        ["model_type"] = QkvBias ? "qwen2" : "llama",
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads,
        ["num_key_value_heads"] = KvHeads,
        ["rms_norm_eps"] = RmsNormEps,
        ["rope_theta"] = RopeTheta,
        ["tie_word_embeddings"] = TieWordEmbeddings,
        ["attention_bias"] = QkvBias,
        ["hidden_act"] = "silu",
    });
}
