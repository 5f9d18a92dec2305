using System.Text.Json;

namespace Lora.Training.Tokenization;

/// <summary>Loads the tokenizer of a HuggingFace model directory.</summary>
public static class TokenizerLoader
{
    // Used only when neither tokenizer_config.json nor special_tokens_map.json names a token.
    private static readonly string[] BosNames = ["<s>", "<|begin_of_text|>", "<|startoftext|>"];
    private static readonly string[] EosNames = ["</s>", "<|end_of_text|>", "<|endoftext|>"];
    private static readonly string[] PadNames = ["<pad>", "<|pad|>", "[PAD]"];

    /// <summary>
    /// Reads modelDir/tokenizer.json, then bos/eos/pad from tokenizer_config.json, else special_tokens_map.json,
    /// else well-known token names. A key present with null (Qwen2's bos_token) means "none". Pad falls back to
    /// eos, then 0: padded positions never count in the loss, so any valid id will do.
    /// </summary>
    public static ByteLevelBpeTokenizer Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: tokenizer.json not found in model directory '{modelDir}'.", path);
        var tokenizer = ByteLevelBpeTokenizer.FromFile(path);

        var config = ReadOptionalJson(Path.Combine(modelDir, "tokenizer_config.json"));
        var map = ReadOptionalJson(Path.Combine(modelDir, "special_tokens_map.json"));
        var bos = Resolve(tokenizer, "bos_token", config, map, BosNames, modelDir);
        var eos = Resolve(tokenizer, "eos_token", config, map, EosNames, modelDir);
        var pad = Resolve(tokenizer, "pad_token", config, map, PadNames, modelDir) ?? eos ?? 0;
        return tokenizer.WithSpecialTokens(bos, eos, pad);
    }

    private static int? Resolve(ByteLevelBpeTokenizer tokenizer, string key, JsonElement? config, JsonElement? map,
        string[] fallbackNames, string modelDir)
    {
        foreach (var source in new[] { config, map })
        {
            if (source is not { } json || !json.TryGetProperty(key, out var value)) continue;
            var content = TokenContent(value);
            if (content is null) return null;
            return tokenizer.TokenToId(content)
                ?? throw new InvalidDataException($"{modelDir}: {key} '{content}' is not in tokenizer.json's vocabulary.");
        }
        foreach (var name in fallbackNames)
        {
            if (tokenizer.TokenToId(name) is { } id) return id;
        }
        return null;
    }

    /// <summary>A special token is written as a string or as a serialized AddedToken object {"content": …}.</summary>
    private static string? TokenContent(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("content", out var c) => c.GetString(),
        _ => null,
    };

    private static JsonElement? ReadOptionalJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e);
        }
    }
}
