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
    /// eos, then 0: padded positions never count in the loss, so any valid id will do. BOS is put before text as
    /// tokenizer_config.json's add_bos_token says (as Llama tokenizers honour it), else as tokenizer.json's
    /// post_processor does.
    /// </summary>
    public static ByteLevelBpeTokenizer Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: tokenizer.json not found in model directory '{modelDir}'.", path);
        var tokenizer = ByteLevelBpeTokenizer.FromFile(path);

        var config = ReadOptionalJson(Path.Combine(modelDir, "tokenizer_config.json"));
        var map = ReadOptionalJson(Path.Combine(modelDir, "special_tokens_map.json"));
        var bos = Resolve(tokenizer, "bos_token", config, map, BosNames);
        var eos = Resolve(tokenizer, "eos_token", config, map, EosNames);
        var pad = Resolve(tokenizer, "pad_token", config, map, PadNames) ?? eos ?? 0;
        return tokenizer.WithSpecialTokens(bos, eos, pad, AddBosToken(config));
    }

    private static bool? AddBosToken(JsonFile? config)
    {
        if (config is not { } c || !c.Root.TryGetProperty("add_bos_token", out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null => null,
            _ => throw new InvalidDataException($"{c.Path}: add_bos_token must be true or false (got {value.GetRawText()})."),
        };
    }

    private static int? Resolve(ByteLevelBpeTokenizer tokenizer, string key, JsonFile? config, JsonFile? map, string[] fallbackNames)
    {
        foreach (var source in new[] { config, map })
        {
            if (source is not { } file || !file.Root.TryGetProperty(key, out var value)) continue;
            var content = TokenContent(value, file.Path, key);
            if (content is null) return null;
            return tokenizer.TokenToId(content)
                ?? throw new InvalidDataException($"{file.Path}: {key} '{content}' is not in tokenizer.json's vocabulary.");
        }
        foreach (var name in fallbackNames)
        {
            if (tokenizer.TokenToId(name) is { } id) return id;
        }
        return null;
    }

    /// <summary>A special token is written as a string or as a serialized AddedToken object {"content": …}; null is "none".</summary>
    private static string? TokenContent(JsonElement value, string path, string key)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        var content = value;
        if (value.ValueKind == JsonValueKind.Object && !value.TryGetProperty("content", out content))
            throw new InvalidDataException($"{path}: {key} is an object without \"content\" (got {value.GetRawText()}).");
        if (content.ValueKind != JsonValueKind.String || content.GetString() is not { Length: > 0 } text)
            throw new InvalidDataException($"{path}: {key}{(value.ValueKind == JsonValueKind.Object ? ".content" : "")} must be "
                + $"a non-empty string (got {content.GetRawText()}).");
        return text;
    }

    private sealed record JsonFile(string Path, JsonElement Root);

    private static JsonFile? ReadOptionalJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object ? new JsonFile(path, doc.RootElement.Clone()) : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e);
        }
    }
}
