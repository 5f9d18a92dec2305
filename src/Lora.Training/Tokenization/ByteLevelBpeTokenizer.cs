using System.Text;
using System.Text.Json;

namespace Lora.Training.Tokenization;

/// <summary>
/// Byte-level BPE (GPT-2, Qwen2, Llama-3 family) read from a HuggingFace tokenizer.json.
/// Immutable and thread-safe. Which tokens are bos/eos/pad is not in tokenizer.json itself;
/// <see cref="TokenizerLoader"/> reads them from tokenizer_config.json and applies them with <see cref="WithSpecialTokens"/>.
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITextTokenizer
{
    private readonly BpeModel _model;
    private readonly TextNormalizer _normalizer;
    private readonly PreTokenizer _preTokenizer;
    private readonly AddedTokenMatcher _matcher;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly HashSet<int> _skipOnDecode;
    private readonly bool _postProcessorAddsBos;

    private ByteLevelBpeTokenizer(BpeModel model, TextNormalizer normalizer, PreTokenizer preTokenizer,
        IReadOnlyList<AddedToken> addedTokens, bool postProcessorAddsBos, int? bosId, int? eosId, int padId, bool addsBos)
    {
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        AddedTokens = addedTokens;
        _matcher = new AddedTokenMatcher(addedTokens);
        _addedById = addedTokens.ToDictionary(t => t.Id);
        BosId = bosId;
        EosId = eosId;
        PadId = padId;
        _postProcessorAddsBos = postProcessorAddsBos;
        PrependedBosId = addsBos ? bosId : null;
        var maxVocabId = model.Vocab.Count == 0 ? -1 : model.Vocab.Values.Max();
        var maxAddedId = addedTokens.Count == 0 ? -1 : addedTokens.Max(t => t.Id);
        VocabSize = Math.Max(maxVocabId, maxAddedId) + 1;
        // bos/eos/pad are skipped even when a file forgot to flag them special: they are never text.
        _skipOnDecode = [.. addedTokens.Where(t => t.Special).Select(t => t.Id)];
        foreach (var id in new[] { bosId, eosId, (int?)padId }) if (id is { } v && IsSpecialCandidate(v)) _skipOnDecode.Add(v);
    }

    public int VocabSize { get; }
    public int? BosId { get; }
    public int? EosId { get; }
    public int PadId { get; }
    public int? PrependedBosId { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    public int MergeCount => _model.MergeCount;

    /// <summary>Reads a tokenizer.json file. Errors name the path.</summary>
    public static ByteLevelBpeTokenizer FromFile(string tokenizerJsonPath)
    {
        string json;
        try
        {
            json = File.ReadAllText(tokenizerJsonPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{tokenizerJsonPath}: cannot read tokenizer: {e.Message}", e);
        }
        return FromJson(json, tokenizerJsonPath);
    }

    /// <summary>Parses tokenizer.json text; <paramref name="sourceName"/> prefixes every error message.</summary>
    public static ByteLevelBpeTokenizer FromJson(string json, string sourceName = "tokenizer.json")
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var model = BpeModel.Parse(root.GetProperty("model"));
            var normalizer = TextNormalizer.Parse(Optional(root, "normalizer"));
            var preTokenizer = PreTokenizer.Parse(Optional(root, "pre_tokenizer"));
            var added = ParseAddedTokens(root, sourceName);
            var addsBos = PostProcessor.AddsLeadingSpecialToken(Optional(root, "post_processor"));
            return new ByteLevelBpeTokenizer(model, normalizer, preTokenizer, added, addsBos, null, null, 0, false);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException
                                      or FormatException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException($"{sourceName}: not a usable byte-level BPE tokenizer.json: {e.Message}", e);
        }
    }

    /// <summary>
    /// A copy with the given special-token ids (they must exist in the vocabulary). BOS is put before text when
    /// <paramref name="addBosToken"/> says so (tokenizer_config.json's add_bos_token), else when tokenizer.json's
    /// post_processor adds a leading special token.
    /// </summary>
    public ByteLevelBpeTokenizer WithSpecialTokens(int? bosId, int? eosId, int padId, bool? addBosToken = null)
    {
        foreach (var id in new[] { bosId, eosId, (int?)padId })
        {
            if (id is { } v && (v < 0 || v >= VocabSize))
                throw new ArgumentOutOfRangeException(nameof(bosId), v, $"special token id outside the vocabulary (size {VocabSize}).");
        }
        return new ByteLevelBpeTokenizer(_model, _normalizer, _preTokenizer, AddedTokens, _postProcessorAddsBos, bosId, eosId, padId,
            addBosToken ?? _postProcessorAddsBos);
    }

    /// <summary>The id of a vocabulary entry or added token, written in its tokenizer.json form.</summary>
    public int? TokenToId(string token)
    {
        foreach (var t in AddedTokens) if (t.Content == token) return t.Id;
        return _model.Vocab.TryGetValue(token, out var id) ? id : null;
    }

    public string? IdToToken(int id) =>
        _addedById.TryGetValue(id, out var t) ? t.Content : _model.IdToToken.GetValueOrDefault(id);

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 1);
        foreach (var (segment, token) in _matcher.Split(text))
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                continue;
            }
            foreach (var word in _preTokenizer.Split(_normalizer.Normalize(segment!)))
                ids.AddRange(_model.EncodeWord(ByteLevelAlphabet.Encode(word)));
        }
        return [.. ids];
    }

    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (_skipOnDecode.Contains(id)) continue;
            var token = IdToToken(id)
                ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id not in the vocabulary (size {VocabSize}).");
            AppendTokenBytes(token, bytes);
        }
        // Lossy like HuggingFace: a cut in the middle of a UTF-8 sequence decodes to U+FFFD, not an exception.
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// A token in the byte-level alphabet becomes its bytes; a token with any other char (a non-special added
    /// token such as "&lt;|im_start|&gt;") is its own UTF-8 text, as HuggingFace's ByteLevel decoder does.
    /// </summary>
    private static void AppendTokenBytes(string token, List<byte> bytes)
    {
        var start = bytes.Count;
        foreach (var c in token)
        {
            if (ByteLevelAlphabet.TryCharToByte(c, out var b))
            {
                bytes.Add(b);
                continue;
            }
            bytes.RemoveRange(start, bytes.Count - start);
            bytes.AddRange(Encoding.UTF8.GetBytes(token));
            return;
        }
    }

    private static List<AddedToken> ParseAddedTokens(JsonElement root, string sourceName)
    {
        var added = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind == JsonValueKind.Null) return added;
        if (list.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{sourceName}: added_tokens must be an array (got {list.GetRawText()}).");
        foreach (var (t, i) in list.EnumerateArray().Select((t, i) => (t, i)))
        {
            var id = t.ValueKind == JsonValueKind.Object && t.TryGetProperty("id", out var idJson) ? idJson : default;
            var content = t.ValueKind == JsonValueKind.Object && t.TryGetProperty("content", out var c) ? c : default;
            if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var idValue) || idValue < 0)
                throw new InvalidDataException($"{sourceName}: added_tokens[{i}].id must be a non-negative integer (got {Raw(id)}).");
            if (content.ValueKind != JsonValueKind.String || content.GetString() is not { Length: > 0 } text)
                throw new InvalidDataException($"{sourceName}: added_tokens[{i}].content must be a non-empty string (got {Raw(content)}).");
            added.Add(new AddedToken(idValue, text, t.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True));
        }
        return added;
    }

    private static string Raw(JsonElement value) => value.ValueKind == JsonValueKind.Undefined ? "nothing" : value.GetRawText();

    private bool IsSpecialCandidate(int id) => _addedById.ContainsKey(id);

    private static JsonElement Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? v : default;
}
