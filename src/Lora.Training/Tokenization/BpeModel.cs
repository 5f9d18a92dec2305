using System.Collections.Concurrent;
using System.Text.Json;

namespace Lora.Training.Tokenization;

/// <summary>
/// The "model" of a byte-level tokenizer.json: vocabulary, ranked merges and the BPE merge loop.
/// The merge loop is ours rather than Microsoft.ML.Tokenizers' so that its exact semantics (lowest rank
/// first, leftmost on ties, ignore_merges, both merge encodings) are visible and tested against HuggingFace's.
/// </summary>
internal sealed class BpeModel
{
    // Caching whole words makes repeated words (most of any corpus) a dictionary hit; bounded so a huge
    // corpus of unique strings cannot grow it without limit.
    private const int MaxCacheEntries = 200_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<(string Left, string Right), (int Rank, string Merged)> _merges;
    private readonly bool _ignoreMerges;
    private readonly string? _unkToken;
    private readonly bool _fuseUnk;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private BpeModel(Dictionary<string, int> vocab, Dictionary<(string, string), (int, string)> merges,
        bool ignoreMerges, string? unkToken, bool fuseUnk)
    {
        _vocab = vocab;
        _merges = merges;
        _ignoreMerges = ignoreMerges;
        _unkToken = unkToken;
        _fuseUnk = fuseUnk;
        IdToToken = new Dictionary<int, string>(vocab.Count);
        foreach (var (token, id) in vocab) IdToToken[id] = token;
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;
    public Dictionary<int, string> IdToToken { get; }
    public int MergeCount => _merges.Count;

    public static BpeModel Parse(JsonElement model)
    {
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
        if (type != "BPE") throw new NotSupportedException($"model type '{type}' is not supported (expected BPE).");
        if (model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True)
            throw new NotSupportedException("byte_fallback BPE (SentencePiece-style) is not byte-level BPE.");
        // GPT-2's own file spells "none" as "" rather than null.
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model.TryGetProperty(affix, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                throw new NotSupportedException($"{affix} '{text}' is not supported (byte-level BPE has none).");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in model.GetProperty("vocab").EnumerateObject()) vocab[entry.Name] = entry.Value.GetInt32();

        var merges = new Dictionary<(string, string), (int, string)>();
        var rank = 0;
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            var (left, right) = ParseMerge(merge, rank);
            var merged = left + right;
            if (!vocab.ContainsKey(merged))
                throw new FormatException($"merge #{rank} '{left} {right}' produces '{merged}', which is not in the vocab.");
            merges.TryAdd((left, right), (rank, merged)); // a repeated pair keeps its first (best) rank, as in HF
            rank++;
        }

        var ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
        var unkToken = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String
            && vocab.ContainsKey(unk.GetString()!) ? unk.GetString() : null;
        var fuseUnk = model.TryGetProperty("fuse_unk", out var fu) && fu.ValueKind == JsonValueKind.True;
        return new BpeModel(vocab, merges, ignoreMerges, unkToken, fuseUnk);
    }

    /// <summary>Merges are "left right" strings in older files and ["left", "right"] pairs in newer ones.</summary>
    private static (string, string) ParseMerge(JsonElement merge, int rank)
    {
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            return (merge[0].GetString()!, merge[1].GetString()!);
        if (merge.ValueKind == JsonValueKind.String)
        {
            var parts = merge.GetString()!.Split(' ');
            if (parts.Length == 2) return (parts[0], parts[1]);
        }
        throw new FormatException($"merge #{rank} is neither \"a b\" nor [\"a\", \"b\"]: {merge.GetRawText()}");
    }

    /// <summary>Token ids of one pre-tokenized word, already mapped to the byte-level alphabet.</summary>
    public int[] EncodeWord(string word)
    {
        if (_cache.TryGetValue(word, out var cached)) return cached;
        var ids = EncodeUncached(word);
        if (_cache.Count < MaxCacheEntries) _cache.TryAdd(word, ids);
        return ids;
    }

    private int[] EncodeUncached(string word)
    {
        if (_ignoreMerges && _vocab.TryGetValue(word, out var whole)) return [whole];

        // Byte-level characters are all in the BMP, so each char starts as one symbol. As in HuggingFace, a char
        // missing from the vocab becomes unk_token (consecutive ones fused with fuse_unk) or, without one, is dropped
        // before merging; a complete byte alphabet never misses one.
        var symbols = new List<string>(word.Length);
        var previousUnknown = false;
        foreach (var c in word)
        {
            var symbol = c.ToString();
            var known = _vocab.ContainsKey(symbol);
            if (known) symbols.Add(symbol);
            else if (_unkToken is { } unk && !(_fuseUnk && previousUnknown)) symbols.Add(unk);
            previousUnknown = !known;
        }

        // Repeatedly merge the adjacent pair with the lowest rank, leftmost on ties: the order HuggingFace's
        // priority queue produces. Words are short, so the quadratic scan beats a heap here.
        while (symbols.Count > 1)
        {
            var bestIndex = -1;
            var bestRank = int.MaxValue;
            string? bestMerged = null;
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                if (_merges.TryGetValue((symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                {
                    (bestIndex, bestRank, bestMerged) = (i, m.Rank, m.Merged);
                }
            }
            if (bestIndex < 0) break;
            symbols[bestIndex] = bestMerged!;
            symbols.RemoveAt(bestIndex + 1);
        }

        // Every symbol is in the vocab: the initial ones were checked above, and merges produce vocab entries (Parse).
        return [.. symbols.Select(symbol => _vocab[symbol])];
    }
}
