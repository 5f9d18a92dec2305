using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lora.Training.Model;

/// <summary>
/// The subset of a HuggingFace Llama-family config.json this engine honours (llama, qwen2, mistral layouts).
/// Validates itself: every bad field is reported by name with its value.
/// </summary>
public sealed record LlamaConfig
{
    public int VocabSize { get; init; } = 512;
    public int HiddenSize { get; init; } = 64;
    public int IntermediateSize { get; init; } = 128;
    public int NumHiddenLayers { get; init; } = 2;
    public int NumAttentionHeads { get; init; } = 4;
    /// <summary>Grouped-query attention: each K/V head serves NumAttentionHeads / NumKeyValueHeads query heads.</summary>
    public int NumKeyValueHeads { get; init; } = 2;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public double RmsNormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary>rope_scaling; null for plain RoPE (absent, null or "default" in config.json).</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>When true there is no lm_head tensor: the output projection reuses embed_tokens.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>q/k/v projections carry biases: Qwen2 always; Llama with attention_bias, which biases o_proj too.</summary>
    public bool AttentionBias { get; init; }
    public string ModelType { get; init; } = "llama";
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    /// <summary>Storage dtype of the checkpoint: "float32" or "bfloat16" ("float16" is loaded as float32).</summary>
    public string TorchDtype { get; init; } = "float32";

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>HF LlamaAttention gives o_proj a bias with attention_bias; Qwen2Attention never does.</summary>
    public bool OutputProjectionBias => AttentionBias && ModelType == "llama";

    /// <summary>The model_type values whose HF modeling code this implementation follows.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "qwen2"];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field and its value.</summary>
    public LlamaConfig Validate()
    {
        static void Positive(string field, long value)
        {
            if (value <= 0) throw new ArgumentException($"config field '{field}' must be > 0 (got {value}).");
        }
        Positive("vocab_size", VocabSize);
        Positive("hidden_size", HiddenSize);
        Positive("intermediate_size", IntermediateSize);
        Positive("num_hidden_layers", NumHiddenLayers);
        Positive("num_attention_heads", NumAttentionHeads);
        Positive("num_key_value_heads", NumKeyValueHeads);
        Positive("max_position_embeddings", MaxPositionEmbeddings);
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"config field 'hidden_size' ({HiddenSize}) must be divisible by num_attention_heads ({NumAttentionHeads}).");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ArgumentException($"config field 'num_attention_heads' ({NumAttentionHeads}) must be divisible by num_key_value_heads ({NumKeyValueHeads}).");
        if (HeadDim % 2 != 0)
            throw new ArgumentException($"config: head dimension hidden_size/num_attention_heads = {HeadDim} must be even for rotary embeddings.");
        if (!(RmsNormEps > 0) || double.IsInfinity(RmsNormEps))
            throw new ArgumentException($"config field 'rms_norm_eps' must be a positive number (got {RmsNormEps}).");
        if (!(RopeTheta > 0) || double.IsInfinity(RopeTheta))
            throw new ArgumentException($"config field 'rope_theta' must be a positive number (got {RopeTheta}).");
        RopeScaling?.Validate();
        if (TorchDtype is not ("float32" or "bfloat16" or "float16"))
            throw new ArgumentException($"config field 'torch_dtype' must be float32, bfloat16 or float16 (got '{TorchDtype}').");
        return this;
    }

    public static LlamaConfig FromJson(string json, string source = "config.json")
    {
        JsonNode? parsed;
        try { parsed = JsonNode.Parse(json) ?? throw new JsonException("empty document"); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON: {e.Message}"); }
        if (parsed is not JsonObject root)
            throw new InvalidDataException($"{source}: expected a JSON object of config fields (got {parsed.ToJsonString()}).");

        int Int(string key, int? fallback = null)
        {
            var node = root[key];
            if (node is null)
                return fallback ?? throw new InvalidDataException($"{source}: required field '{key}' is missing.");
            try { return node.GetValue<int>(); }
            catch (Exception) { throw new InvalidDataException($"{source}: field '{key}' must be an integer (got {node.ToJsonString()})."); }
        }
        double Double(string key, double fallback)
        {
            var node = root[key];
            if (node is null) return fallback;
            try { return node.GetValue<double>(); }
            catch (Exception) { throw new InvalidDataException($"{source}: field '{key}' must be a number (got {node.ToJsonString()})."); }
        }
        double NumberIn(JsonNode node, string key)
        {
            try { return node.GetValue<double>(); }
            catch (Exception) { throw new InvalidDataException($"{source}: field '{key}' must be a number (got {node.ToJsonString()})."); }
        }
        int? OptionalInt(string key) => root[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
        T Typed<T>(string key, T fallback, string kind)
        {
            var node = root[key];
            if (node is null) return fallback;
            return node is JsonValue v && v.TryGetValue<T>(out var value) ? value
                : throw new InvalidDataException($"{source}: field '{key}' must be {kind} (got {node.ToJsonString()}).");
        }
        bool Bool(string key, bool fallback) => Typed(key, fallback, "true or false");
        string Text(string key, string fallback) => Typed(key, fallback, "a string");

        RejectUnsupported(root, source);
        var heads = Int("num_attention_heads");
        var modelType = Text("model_type", "llama");
        var config = new LlamaConfig
        {
            VocabSize = Int("vocab_size"),
            HiddenSize = Int("hidden_size"),
            IntermediateSize = Int("intermediate_size"),
            NumHiddenLayers = Int("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = Int("num_key_value_heads", heads),
            MaxPositionEmbeddings = Int("max_position_embeddings", 2048),
            RmsNormEps = Double("rms_norm_eps", 1e-6),
            // transformers v5 moves both into "rope_parameters" ({"rope_type", "rope_theta", "factor", …}).
            RopeTheta = root["rope_parameters"] is JsonObject rope && rope["rope_theta"] is { } theta
                ? NumberIn(theta, "rope_parameters.rope_theta") : Double("rope_theta", 10000.0),
            RopeScaling = RopeScaling.FromJson(root["rope_parameters"] ?? root["rope_scaling"], source),
            TieWordEmbeddings = Bool("tie_word_embeddings", false),
            ModelType = modelType,
            AttentionBias = Bool("attention_bias", modelType == "qwen2"),
            BosTokenId = OptionalInt("bos_token_id"),
            EosTokenId = OptionalInt("eos_token_id"),
            // transformers ≥ 4.56 writes "dtype"; earlier versions "torch_dtype".
            TorchDtype = root["torch_dtype"] is null ? Text("dtype", "float32") : Text("torch_dtype", "float32"),
        };
        try { return config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}"); }
    }

    /// <summary>
    /// Fields that change what the HF model computes and that this implementation does not follow: accepting them
    /// would load a checkpoint that runs, but as a different model (e.g. a bias on the MLP ignored), so adapters
    /// trained here would not fit the real base.
    /// </summary>
    private static void RejectUnsupported(JsonNode root, string source)
    {
        string? Text(string key) => root[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var modelType = Text("model_type") ?? "llama";
        if (!SupportedModelTypes.Contains(modelType))
            throw new InvalidDataException($"{source}: model_type '{modelType}' is not supported (supported: {string.Join(", ", SupportedModelTypes)}).");
        if (Text("hidden_act") is { } act && act != "silu")
            throw new InvalidDataException($"{source}: hidden_act '{act}' is not supported (the MLP is SwiGLU with silu).");
        if (root["mlp_bias"] is JsonValue mlpBias && mlpBias.TryGetValue<bool>(out var hasMlpBias) && hasMlpBias)
            throw new InvalidDataException($"{source}: mlp_bias true is not supported (gate/up/down projections without bias).");
        if (root["head_dim"] is JsonValue hd && hd.TryGetValue<int>(out var headDim)
            && root["hidden_size"] is JsonValue h && h.TryGetValue<int>(out var hidden)
            && root["num_attention_heads"] is JsonValue n && n.TryGetValue<int>(out var heads) && heads > 0 && headDim != hidden / heads)
            throw new InvalidDataException($"{source}: head_dim {headDim} differs from hidden_size/num_attention_heads = {hidden / heads}, which is not supported.");
        if (root["sliding_window"] is JsonValue && root["use_sliding_window"] is JsonValue usw && usw.TryGetValue<bool>(out var sliding) && sliding)
            throw new InvalidDataException($"{source}: use_sliding_window true is not supported (full causal attention).");
    }

    public string ToJson()
    {
        var node = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_bias"] = AttentionBias,
            ["hidden_act"] = "silu",
            ["torch_dtype"] = TorchDtype,
        };
        if (RopeScaling is { } scaling) node["rope_scaling"] = scaling.ToJson();
        if (BosTokenId is { } bos) node["bos_token_id"] = bos;
        if (EosTokenId is { } eos) node["eos_token_id"] = eos;
        return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>HF module names of the linear layers inside one decoder block, in PEFT's naming.</summary>
    public static readonly IReadOnlyList<string> LinearModuleNames =
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>(out, in) of a block's linear layer by HF module name.</summary>
    public (int Out, int In) LinearShape(string module) => module switch
    {
        "q_proj" => (NumAttentionHeads * HeadDim, HiddenSize),
        "k_proj" or "v_proj" => (NumKeyValueHeads * HeadDim, HiddenSize),
        "o_proj" => (HiddenSize, NumAttentionHeads * HeadDim),
        "gate_proj" or "up_proj" => (IntermediateSize, HiddenSize),
        "down_proj" => (HiddenSize, IntermediateSize),
        _ => throw new ArgumentException($"'{module}' is not a linear module of a Llama block (expected one of {string.Join(", ", LinearModuleNames)})."),
    };

    /// <summary>HF path of a block linear module, e.g. model.layers.0.self_attn.q_proj.</summary>
    public static string ModulePath(int layer, string module) =>
        module is "gate_proj" or "up_proj" or "down_proj"
            ? $"model.layers.{layer}.mlp.{module}"
            : $"model.layers.{layer}.self_attn.{module}";
}
