using System.Text.Json.Nodes;

namespace Lora.Training.Model;

/// <summary>
/// config.json's rope_scaling, for the types whose frequencies do not depend on the sequence length:
/// "linear" (position interpolation: every frequency ÷ factor) and "llama3" (Llama 3.1/3.2/3.3: long wavelengths
/// ÷ factor, short ones kept, a smooth blend between). Anything else (dynamic, yarn, longrope) changes the
/// attention scale or the frequencies with the length, so it is refused rather than run as a different model.
/// </summary>
public sealed record RopeScaling
{
    public static readonly IReadOnlyList<string> SupportedTypes = ["linear", "llama3"];

    public required string Type { get; init; }
    public double Factor { get; init; } = 1.0;
    /// <summary>llama3: wavelengths above original_max_position_embeddings / low_freq_factor are fully scaled.</summary>
    public double LowFreqFactor { get; init; } = 1.0;
    /// <summary>llama3: wavelengths below original_max_position_embeddings / high_freq_factor are kept.</summary>
    public double HighFreqFactor { get; init; } = 4.0;
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field and its value.</summary>
    public RopeScaling Validate()
    {
        if (!SupportedTypes.Contains(Type))
            throw new ArgumentException($"rope_scaling of type '{Type}' is not supported (supported: default, {string.Join(", ", SupportedTypes)}).");
        // HF refuses factors below 1 too: they would extrapolate, not interpolate.
        if (!(Factor >= 1) || double.IsInfinity(Factor))
            throw new ArgumentException($"config field 'rope_scaling.factor' must be a number >= 1 (got {Factor}).");
        if (Type != "llama3") return this;
        if (!(LowFreqFactor > 0) || double.IsInfinity(LowFreqFactor))
            throw new ArgumentException($"config field 'rope_scaling.low_freq_factor' must be a positive number (got {LowFreqFactor}).");
        if (!(HighFreqFactor > LowFreqFactor) || double.IsInfinity(HighFreqFactor))
            throw new ArgumentException($"config field 'rope_scaling.high_freq_factor' ({HighFreqFactor}) must be greater than low_freq_factor ({LowFreqFactor}).");
        if (OriginalMaxPositionEmbeddings <= 0)
            throw new ArgumentException($"config field 'rope_scaling.original_max_position_embeddings' must be > 0 (got {OriginalMaxPositionEmbeddings}).");
        return this;
    }

    /// <summary>Scaled inverse frequencies, one per rotary pair, from the unscaled θ^(−2i/d).</summary>
    public double[] Apply(IReadOnlyList<double> invFreq) =>
        Type == "linear" ? invFreq.Select(f => f / Factor).ToArray() : invFreq.Select(Llama3).ToArray();

    // HF _compute_llama3_parameters, per frequency.
    private double Llama3(double invFreq)
    {
        var wavelength = 2 * Math.PI / invFreq;
        if (wavelength < OriginalMaxPositionEmbeddings / HighFreqFactor) return invFreq;
        if (wavelength > OriginalMaxPositionEmbeddings / LowFreqFactor) return invFreq / Factor;
        var smooth = (OriginalMaxPositionEmbeddings / wavelength - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
        return (1 - smooth) * invFreq / Factor + smooth * invFreq;
    }

    /// <summary>
    /// Reads rope_scaling: null when absent, null or of type "default". The fields HF's rope validation requires
    /// are required here too, each reported by name when missing or not a number.
    /// </summary>
    public static RopeScaling? FromJson(JsonNode? node, string source)
    {
        if (node is null) return null;
        if (node is not JsonObject scaling)
            throw new InvalidDataException($"{source}: field 'rope_scaling' must be an object or null (got {node.ToJsonString()}).");
        var typeNode = scaling["rope_type"] ?? scaling["type"];
        string? type = typeNode is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
        if (type is null)
            throw new InvalidDataException($"{source}: rope_scaling needs a string 'rope_type' (got {typeNode?.ToJsonString() ?? "none"}).");
        if (type == "default") return null;
        if (!SupportedTypes.Contains(type))
            throw new InvalidDataException($"{source}: rope_scaling of type '{type}' is not supported (supported: default, {string.Join(", ", SupportedTypes)}).");

        T Field<T>(string key, string kind)
        {
            var value = scaling[key] ?? throw new InvalidDataException($"{source}: rope_scaling of type '{type}' needs '{key}'.");
            try { return value.GetValue<T>(); }
            catch (Exception) { throw new InvalidDataException($"{source}: field 'rope_scaling.{key}' must be {kind} (got {value.ToJsonString()})."); }
        }
        try
        {
            var llama3 = type == "llama3";
            return new RopeScaling
            {
                Type = type,
                Factor = Field<double>("factor", "a number"),
                LowFreqFactor = llama3 ? Field<double>("low_freq_factor", "a number") : 1.0,
                HighFreqFactor = llama3 ? Field<double>("high_freq_factor", "a number") : 4.0,
                OriginalMaxPositionEmbeddings = llama3 ? Field<int>("original_max_position_embeddings", "an integer") : 8192,
            }.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}"); }
    }

    public JsonObject ToJson()
    {
        var node = new JsonObject { ["rope_type"] = Type, ["factor"] = Factor };
        if (Type != "llama3") return node;
        node["low_freq_factor"] = LowFreqFactor;
        node["high_freq_factor"] = HighFreqFactor;
        node["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings;
        return node;
    }
}
