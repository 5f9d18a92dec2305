using System.Text.Json;

namespace Lora.Reference;

/// <summary>
/// The subset of HF LlamaConfig / Qwen2Config (config.json) that changes inference math.
/// Defaults are the ones transformers' LlamaConfig.__init__ applies when a key is absent.
/// </summary>
public sealed class ReferenceLlamaConfig
{
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }

    /// <summary>LlamaConfig: "if num_key_value_heads is None: num_key_value_heads = num_attention_heads".</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>LlamaConfig: head_dim defaults to hidden_size // num_attention_heads.</summary>
    public required int HeadDim { get; init; }

    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Llama: bias on q/k/v/o. Qwen2 always has q/k/v bias without this key; biases are loaded when present.</summary>
    public bool AttentionBias { get; init; }

    /// <summary>rope_scaling["rope_type"] (or legacy "type"); null or "default" means unscaled.</summary>
    public string? RopeScalingType { get; init; }
    public double RopeScalingFactor { get; init; } = 1.0;
    public double RopeLowFreqFactor { get; init; } = 1.0;
    public double RopeHighFreqFactor { get; init; } = 4.0;
    public int RopeOriginalMaxPositions { get; init; } = 8192;

    public int KeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    public static ReferenceLlamaConfig Load(string modelDirectory) =>
        Parse(File.ReadAllText(Path.Combine(modelDirectory, "config.json")));

    public static ReferenceLlamaConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        int hidden = Int(root, "hidden_size");
        int heads = Int(root, "num_attention_heads");
        int kvHeads = OptionalInt(root, "num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
            throw new InvalidDataException($"num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}.");

        string? ropeType = null;
        double factor = 1.0, low = 1.0, high = 4.0;
        int original = 8192;
        if (root.TryGetProperty("rope_scaling", out var scaling) && scaling.ValueKind == JsonValueKind.Object)
        {
            ropeType = OptionalString(scaling, "rope_type") ?? OptionalString(scaling, "type");
            factor = OptionalDouble(scaling, "factor") ?? factor;
            low = OptionalDouble(scaling, "low_freq_factor") ?? low;
            high = OptionalDouble(scaling, "high_freq_factor") ?? high;
            original = OptionalInt(scaling, "original_max_position_embeddings") ?? original;
            // Only unscaled, "linear" and "llama3" RoPE are implemented; refusing beats silently computing wrong angles.
            if (ropeType is not (null or "default" or "linear" or "llama3"))
                throw new NotSupportedException($"rope_scaling type '{ropeType}' is not implemented by the reference.");
        }

        return new ReferenceLlamaConfig
        {
            VocabSize = Int(root, "vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = Int(root, "intermediate_size"),
            NumHiddenLayers = Int(root, "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = OptionalInt(root, "head_dim") ?? hidden / heads,
            RmsNormEps = OptionalDouble(root, "rms_norm_eps") ?? 1e-6,
            RopeTheta = OptionalDouble(root, "rope_theta") ?? 10000.0,
            TieWordEmbeddings = OptionalBool(root, "tie_word_embeddings") ?? false,
            AttentionBias = OptionalBool(root, "attention_bias") ?? false,
            RopeScalingType = ropeType,
            RopeScalingFactor = factor,
            RopeLowFreqFactor = low,
            RopeHighFreqFactor = high,
            RopeOriginalMaxPositions = original,
        };
    }

    private static int Int(JsonElement e, string key) =>
        OptionalInt(e, key) ?? throw new InvalidDataException($"config.json lacks '{key}'.");

    private static int? OptionalInt(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static double? OptionalDouble(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool? OptionalBool(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static string? OptionalString(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
