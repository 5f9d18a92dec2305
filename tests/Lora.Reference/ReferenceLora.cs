using System.Text.Json;

namespace Lora.Reference;

/// <summary>
/// A PEFT LoRA adapter directory: adapter_config.json (r, lora_alpha, use_rslora) plus
/// adapter_model.safetensors with keys "base_model.model.&lt;module path&gt;.lora_A.weight" [r, in]
/// and ".lora_B.weight" [out, r] (get_peft_model_state_dict strips the adapter name "default").
/// </summary>
public sealed class ReferenceLora
{
    private const string KeyPrefix = "base_model.model.";

    private ReferenceLora(int rank, double alpha, bool useRsLora, Dictionary<string, LoraPair> modules)
    {
        Rank = rank;
        Alpha = alpha;
        UseRsLora = useRsLora;
        Modules = modules;
    }

    public int Rank { get; }
    public double Alpha { get; }
    public bool UseRsLora { get; }

    /// <summary>PEFT LoraLayer.update_layer: lora_alpha / sqrt(r) with use_rslora, else lora_alpha / r.</summary>
    public double Scaling => ComputeScaling(Alpha, Rank, UseRsLora);

    /// <summary>Module path (e.g. "model.layers.0.self_attn.q_proj") → its A/B pair.</summary>
    public IReadOnlyDictionary<string, LoraPair> Modules { get; }

    public static double ComputeScaling(double alpha, int rank, bool useRsLora) =>
        useRsLora ? alpha / Math.Sqrt(rank) : alpha / rank;

    public static ReferenceLora Load(string adapterDirectory)
    {
        using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(adapterDirectory, "adapter_config.json")));
        JsonElement root = config.RootElement;
        int rank = root.GetProperty("r").GetInt32();
        double alpha = root.GetProperty("lora_alpha").GetDouble();
        bool rsLora = root.TryGetProperty("use_rslora", out var rs) && rs.ValueKind == JsonValueKind.True;
        RejectUnsupported(root);

        var tensors = SafetensorsReader.ReadFile(Path.Combine(adapterDirectory, "adapter_model.safetensors"));
        return FromTensors(rank, alpha, rsLora, tensors);
    }

    /// <summary>Builds an adapter from PEFT-named tensors; every key must be a lora_A/lora_B weight.</summary>
    public static ReferenceLora FromTensors(int rank, double alpha, bool useRsLora, IReadOnlyDictionary<string, DoubleTensor> tensors)
    {
        double scaling = ComputeScaling(alpha, rank, useRsLora);
        var halves = new Dictionary<string, (DoubleTensor? A, DoubleTensor? B)>(StringComparer.Ordinal);
        foreach (var (key, tensor) in tensors)
        {
            var (module, isA) = ParseKey(key);
            var pair = halves.GetValueOrDefault(module);
            halves[module] = isA ? (tensor, pair.B) : (pair.A, tensor);
        }

        var modules = new Dictionary<string, LoraPair>(StringComparer.Ordinal);
        foreach (var (module, (a, b)) in halves)
        {
            if (a is null || b is null) throw new InvalidDataException($"Adapter module '{module}' lacks lora_A or lora_B.");
            if (a.Shape[0] != rank) throw new InvalidDataException($"'{module}' lora_A has rank {a.Shape[0]}, config r = {rank}.");
            modules[module] = new LoraPair(a, b, scaling);
        }
        return new ReferenceLora(rank, alpha, useRsLora, modules);
    }

    private static (string Module, bool IsA) ParseKey(string key)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal))
            throw new InvalidDataException($"Adapter key '{key}' does not start with '{KeyPrefix}'.");
        string rest = key[KeyPrefix.Length..];
        // Tolerate the adapter-name segment some writers keep: ".lora_A.default.weight".
        foreach (var (marker, isA) in new[] { (".lora_A.", true), (".lora_B.", false) })
        {
            int at = rest.LastIndexOf(marker, StringComparison.Ordinal);
            if (at > 0 && rest.EndsWith(".weight", StringComparison.Ordinal))
                return (rest[..at], isA);
        }
        // lora_embedding_*, lora_magnitude_vector (DoRA), modules_to_save, biases: not plain LoRA on Linear.
        throw new NotSupportedException($"Adapter key '{key}' is not a LoRA Linear A/B weight.");
    }

    private static void RejectUnsupported(JsonElement root)
    {
        if (root.TryGetProperty("use_dora", out var dora) && dora.ValueKind == JsonValueKind.True)
            throw new NotSupportedException("DoRA adapters are not implemented by the reference.");
        if (root.TryGetProperty("fan_in_fan_out", out var fifo) && fifo.ValueKind == JsonValueKind.True)
            throw new NotSupportedException("fan_in_fan_out (Conv1D) adapters are not implemented by the reference.");
        foreach (string pattern in new[] { "rank_pattern", "alpha_pattern" })
            if (root.TryGetProperty(pattern, out var p) && p.ValueKind == JsonValueKind.Object && p.EnumerateObject().Any())
                throw new NotSupportedException($"Per-module {pattern} is not implemented by the reference.");
    }
}
