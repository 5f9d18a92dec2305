namespace Lora.Training.Tokenization;

/// <summary>
/// Splits text around added tokens (e.g. "&lt;|endoftext|&gt;") the way HuggingFace does before normalizing and
/// BPE: an added token in the text becomes its id, never a run of byte tokens. Longest match wins.
/// </summary>
internal sealed class AddedTokenMatcher
{
    // Bucketed by first char so scanning costs one dictionary probe per char, however many tokens there are.
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>Yields (text segment, null) and (null, added token) in order.</summary>
    public IEnumerable<(string? Text, AddedToken? Token)> Split(string text)
    {
        if (_byFirstChar.Count == 0)
        {
            yield return (text, null);
            yield break;
        }
        var segmentStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = MatchAt(text, i);
            if (match is null)
            {
                i++;
                continue;
            }
            if (i > segmentStart) yield return (text[segmentStart..i], null);
            yield return (null, match);
            i += match.Content.Length;
            segmentStart = i;
        }
        if (segmentStart < text.Length) yield return (text[segmentStart..], null);
    }

    private AddedToken? MatchAt(string text, int index)
    {
        if (!_byFirstChar.TryGetValue(text[index], out var candidates)) return null;
        foreach (var token in candidates)
        {
            if (text.AsSpan(index).StartsWith(token.Content, StringComparison.Ordinal)) return token;
        }
        return null;
    }
}
