using System.Text.Json;

namespace Lora.Training.Tokenization;

/// <summary>
/// What tokenizer.json's post_processor adds around encoded text. HuggingFace adds special tokens only through it:
/// naming a bos_token does not by itself put one before the text (SmolLM2 names one and adds none).
/// </summary>
internal static class PostProcessor
{
    /// <summary>
    /// True when a TemplateProcessing (alone or inside a Sequence) puts a special token before $A in its "single"
    /// template. ByteLevel only adjusts offsets; null or absent adds nothing.
    /// </summary>
    public static bool AddsLeadingSpecialToken(JsonElement postProcessor)
    {
        if (postProcessor.ValueKind != JsonValueKind.Object) return false;
        var type = postProcessor.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        return type switch
        {
            "TemplateProcessing" => postProcessor.TryGetProperty("single", out var single) && SpecialTokenBeforeSequence(single),
            "Sequence" => postProcessor.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array
                && list.EnumerateArray().Any(AddsLeadingSpecialToken),
            _ => false,
        };
    }

    /// <summary>A template is serialized as pieces ([{"SpecialToken": …}, {"Sequence": {"id": "A"}}]) or, when
    /// written by hand, as a string ("&lt;s&gt; $A").</summary>
    private static bool SpecialTokenBeforeSequence(JsonElement template)
    {
        if (template.ValueKind == JsonValueKind.String)
            return template.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } first
                && !first.StartsWith('$');
        if (template.ValueKind != JsonValueKind.Array) return false;
        foreach (var piece in template.EnumerateArray())
        {
            if (piece.ValueKind != JsonValueKind.Object) return false;
            if (piece.TryGetProperty("Sequence", out _)) return false;
            if (piece.TryGetProperty("SpecialToken", out _)) return true;
        }
        return false;
    }
}
