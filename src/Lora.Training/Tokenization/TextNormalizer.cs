using System.Text;
using System.Text.Json;

namespace Lora.Training.Tokenization;

/// <summary>
/// The "normalizer" of tokenizer.json. Byte-level models use none (GPT-2, Llama-3) or NFC (Qwen2); the Unicode
/// forms and Lowercase are supported, anything else is rejected so text is never silently tokenized differently.
/// </summary>
internal sealed class TextNormalizer
{
    private readonly IReadOnlyList<Func<string, string>> _steps;

    private TextNormalizer(IReadOnlyList<Func<string, string>> steps) => _steps = steps;

    public string Normalize(string text) => _steps.Aggregate(text, (t, step) => step(t));

    public static TextNormalizer Parse(JsonElement element)
    {
        var steps = new List<Func<string, string>>();
        AddSteps(element, steps);
        return new TextNormalizer(steps);
    }

    private static void AddSteps(JsonElement element, List<Func<string, string>> steps)
    {
        if (element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return;
        var type = element.GetProperty("type").GetString();
        switch (type)
        {
            case "Sequence":
                foreach (var child in element.GetProperty("normalizers").EnumerateArray()) AddSteps(child, steps);
                break;
            case "NFC": steps.Add(t => t.Normalize(NormalizationForm.FormC)); break;
            case "NFD": steps.Add(t => t.Normalize(NormalizationForm.FormD)); break;
            case "NFKC": steps.Add(t => t.Normalize(NormalizationForm.FormKC)); break;
            case "NFKD": steps.Add(t => t.Normalize(NormalizationForm.FormKD)); break;
            case "Lowercase": steps.Add(t => t.ToLowerInvariant()); break;
            default: throw new NotSupportedException($"normalizer type '{type}' is not supported.");
        }
    }
}
