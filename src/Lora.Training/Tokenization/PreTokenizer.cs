using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lora.Training.Tokenization;

/// <summary>
/// The "pre_tokenizer" of a byte-level tokenizer.json: splits text into words that BPE merges never cross.
/// Supports the shapes real byte-level models ship: GPT-2 (ByteLevel with use_regex), Qwen2 / Llama-3
/// (Sequence of a regex Split and ByteLevel without regex), and Digits. Anything else is rejected at load
/// time rather than tokenized differently from HuggingFace.
/// </summary>
internal sealed class PreTokenizer
{
    /// <summary>GPT-2's word pattern, applied by ByteLevel when use_regex is true.</summary>
    internal const string Gpt2Pattern =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly IReadOnlyList<Func<string, IEnumerable<string>>> _steps;

    private PreTokenizer(IReadOnlyList<Func<string, IEnumerable<string>>> steps) => _steps = steps;

    /// <summary>Splits one segment (text between added tokens) into words, still in plain Unicode.</summary>
    public IEnumerable<string> Split(string text)
    {
        IEnumerable<string> pieces = [text];
        foreach (var step in _steps)
        {
            var current = step;
            pieces = pieces.SelectMany(p => current(p));
        }
        return pieces.Where(p => p.Length > 0);
    }

    public static PreTokenizer Parse(JsonElement element)
    {
        var steps = new List<Func<string, IEnumerable<string>>>();
        var sawByteLevel = false;
        AddSteps(element, steps, ref sawByteLevel);
        if (!sawByteLevel)
            throw new NotSupportedException("pre_tokenizer has no ByteLevel step: this is not a byte-level BPE tokenizer.");
        return new PreTokenizer(steps);
    }

    private static void AddSteps(JsonElement element, List<Func<string, IEnumerable<string>>> steps, ref bool sawByteLevel)
    {
        if (element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return;
        var type = element.GetProperty("type").GetString();
        switch (type)
        {
            case "Sequence":
                foreach (var child in element.GetProperty("pretokenizers").EnumerateArray())
                    AddSteps(child, steps, ref sawByteLevel);
                break;
            case "ByteLevel":
                sawByteLevel = true;
                if (GetBool(element, "add_prefix_space", false))
                    steps.Add(piece => [piece.StartsWith(' ') ? piece : " " + piece]);
                if (GetBool(element, "use_regex", true))
                    steps.Add(IsolateMatches(new Regex(Gpt2Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant)));
                break;
            case "Split":
                steps.Add(ParseSplit(element));
                break;
            case "Digits":
                steps.Add(IsolateMatches(new Regex(
                    GetBool(element, "individual_digits", false) ? @"\p{N}" : @"\p{N}+", RegexOptions.CultureInvariant)));
                break;
            default:
                throw new NotSupportedException($"pre_tokenizer type '{type}' is not supported.");
        }
    }

    private static Func<string, IEnumerable<string>> ParseSplit(JsonElement element)
    {
        var pattern = element.GetProperty("pattern");
        var regex = pattern.TryGetProperty("Regex", out var rx)
            ? new Regex(rx.GetString()!, RegexOptions.Compiled | RegexOptions.CultureInvariant)
            : new Regex(Regex.Escape(pattern.GetProperty("String").GetString()!), RegexOptions.CultureInvariant);
        if (GetBool(element, "invert", false))
            throw new NotSupportedException("Split pre_tokenizer with invert=true is not supported.");
        var behavior = element.TryGetProperty("behavior", out var b) ? b.GetString() : "Isolated";
        return behavior switch
        {
            "Isolated" => IsolateMatches(regex),
            "Removed" => piece => Gaps(regex, piece, keepMatches: false),
            _ => throw new NotSupportedException($"Split pre_tokenizer behavior '{behavior}' is not supported."),
        };
    }

    private static Func<string, IEnumerable<string>> IsolateMatches(Regex regex) =>
        piece => Gaps(regex, piece, keepMatches: true);

    /// <summary>Yields the text between matches, and each match too when <paramref name="keepMatches"/>.</summary>
    private static IEnumerable<string> Gaps(Regex regex, string piece, bool keepMatches)
    {
        var last = 0;
        var view = CodePointView.Of(piece);
        foreach (Match m in regex.Matches(view.Text))
        {
            if (m.Length == 0) continue;
            var (start, end) = (view.ToOriginal(m.Index), view.ToOriginal(m.Index + m.Length));
            if (start > last) yield return piece[last..start];
            if (keepMatches) yield return piece[start..end];
            last = end;
        }
        if (last < piece.Length) yield return piece[last..];
    }

    private static bool GetBool(JsonElement element, string name, bool fallback) =>
        element.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean()
            : fallback;
}
