using System.Text.Json;
using System.Text.Json.Nodes;
using Lora.Training.Lora;
using Lora.Training.Model;

namespace Lora.Training.Peft;

/// <summary>
/// adapter_config.json as HuggingFace PEFT writes it for LoRA (sorted keys, as PEFT's save_pretrained), and the
/// reverse mapping to <see cref="LoraSettings"/>. Features PEFT has but this engine cannot represent (DoRA, bias
/// training, per-module rank/alpha, extra saved modules) are refused with the field named, not silently dropped.
/// </summary>
internal static class PeftAdapterConfig
{
    public static string ToJson(LoraSettings settings, string baseModelNameOrPath)
    {
        settings.Validate();
        JsonNode targets = settings.TargetModules is [LoraSettings.AllLinear]
            ? JsonValue.Create(LoraSettings.AllLinear)
            : new JsonArray(settings.TargetModules.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        var fields = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = settings.Init == LoraSettings.Gaussian ? JsonValue.Create(LoraSettings.Gaussian) : JsonValue.Create(true),
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["loftq_config"] = new JsonObject(),
            // PEFT stores lora_alpha as given (usually an int); keep integers integral so Python reads an int.
            ["lora_alpha"] = settings.Alpha == Math.Floor(settings.Alpha) && Math.Abs(settings.Alpha) < int.MaxValue
                ? JsonValue.Create((int)settings.Alpha) : JsonValue.Create(settings.Alpha),
            ["lora_dropout"] = settings.Dropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = settings.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = targets,
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = settings.UseRsLora,
        };
        return new JsonObject(fields!).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    public static LoraSettings Parse(string json, string source)
    {
        JsonObject root;
        try { root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON: {e.Message}"); }

        string Bad(string msg) => $"{source}: {msg}";
        T Get<T>(string key, T fallback)
        {
            var node = root[key];
            if (node is null) return fallback;
            try { return node.GetValue<T>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            { throw new InvalidDataException(Bad($"field '{key}' has an unexpected value {node.ToJsonString()}.")); }
        }
        bool IsEmpty(string key) => root[key] is null || root[key] is JsonObject { Count: 0 } || root[key] is JsonArray { Count: 0 };

        var peftType = Get<string?>("peft_type", null);
        if (peftType != "LORA")
            throw new InvalidDataException(Bad($"peft_type is '{peftType ?? "(missing)"}'; only LORA adapters are supported."));
        if (Get("use_dora", false)) throw new InvalidDataException(Bad("use_dora = true (DoRA) is not supported."));
        if (Get("fan_in_fan_out", false)) throw new InvalidDataException(Bad("fan_in_fan_out = true (Conv1D layouts) is not supported."));
        if (Get("bias", "none") != "none") throw new InvalidDataException(Bad($"bias = '{Get("bias", "")}' is not supported (only 'none')."));
        // Each of these changes what PEFT computes with the adapter (per-module ranks, extra trained modules or token
        // rows, a LoRA bias, duplicated layers, parameter targets, a quantised base).
        foreach (var key in new[] { "rank_pattern", "alpha_pattern", "modules_to_save", "trainable_token_indices", "layer_replication",
                     "target_parameters", "loftq_config" })
            if (!IsEmpty(key)) throw new InvalidDataException(Bad($"'{key}' = {root[key]!.ToJsonString()} is not supported (must be empty)."));
        if (Get("lora_bias", false)) throw new InvalidDataException(Bad("lora_bias = true is not supported (LoRA B without bias)."));
        if (Get("use_qalora", false)) throw new InvalidDataException(Bad("use_qalora = true is not supported (it pools the LoRA input for a quantised base)."));

        var init = ParseInit(root["init_lora_weights"], source);

        var settings = new LoraSettings
        {
            Rank = Get("r", 8),
            Alpha = Get("lora_alpha", 8.0),
            Dropout = Get("lora_dropout", 0.0),
            TargetModules = ParseTargets(root["target_modules"], source),
            UseRsLora = Get("use_rslora", false),
            Init = init,
        };
        try { return settings.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException(Bad(e.Message)); }
    }

    /// <summary>
    /// true/false, "gaussian", "orthogonal" and "eva" only start A and B differently, so the trained factors mean
    /// the same (EVA's per-module ranks arrive as rank_pattern, refused above). PiSSA, OLoRA, CorDA,
    /// LoftQ and the like also rewrite the base weight when PEFT loads the adapter (W − s·B₀A₀ or a quantised W):
    /// added to the original W here, the adapter would compute something else, so those are refused by name.
    /// </summary>
    private static string ParseInit(JsonNode? node, string source) => node switch
    {
        null => LoraSettings.KaimingUniform,
        JsonValue v when v.TryGetValue<bool>(out _) => LoraSettings.KaimingUniform,
        JsonValue v when v.TryGetValue<string>(out var s) && s == LoraSettings.Gaussian => LoraSettings.Gaussian,
        // Other starting points that leave W as it is: the trained factors are plain LoRA.
        JsonValue v when v.TryGetValue<string>(out var s) && s is "orthogonal" or "eva" => LoraSettings.KaimingUniform,
        _ => throw new InvalidDataException($"{source}: init_lora_weights = {node.ToJsonString()} is not supported "
            + "(only true, false, \"gaussian\", \"orthogonal\" or \"eva\": other initialisations such as PiSSA, OLoRA or LoftQ change the base weights PEFT applies the adapter to)."),
    };

    private static IReadOnlyList<string> ParseTargets(JsonNode? node, string source)
    {
        string[] names = node switch
        {
            JsonValue v when v.TryGetValue<string>(out var one) => [one],
            JsonArray a => a.Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var name) ? name
                : throw new InvalidDataException($"{source}: target_modules[{i}] must be a module name (got {n?.ToJsonString() ?? "null"}).")).ToArray(),
            _ => throw new InvalidDataException($"{source}: target_modules must be a module name, a list of names or \"all-linear\" (got {node?.ToJsonString() ?? "null"})."),
        };
        var unknown = names.Where(n => n != LoraSettings.AllLinear && !LlamaConfig.LinearModuleNames.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"{source}: target_modules {string.Join(", ", unknown.Select(u => $"'{u}'"))} are not block linear layers ({string.Join(", ", LlamaConfig.LinearModuleNames)}); regexes and other modules are not supported.");
        return names;
    }
}
