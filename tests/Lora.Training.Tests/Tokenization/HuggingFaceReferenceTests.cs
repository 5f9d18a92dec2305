using System.Text.Json;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Tokenization;

/// <summary>
/// Our byte-level BPE against HuggingFace's own implementation on real tokenizer files: GPT-2 (ByteLevel regex) and
/// Llama-3 (Split regex + ByteLevel, ignore_merges, 256 added tokens), each cut to its first 3,000 merges so the
/// fixtures stay small. The expected ids come from Tokenizers.js (scripts/tokenizer-reference), for hand-picked
/// edge cases (contractions, digit runs, CRLF, CJK, emoji, code, added tokens inside text) and 300 seeded random strings.
/// </summary>
public sealed class HuggingFaceReferenceTests
{
    public static TheoryData<string> Tokenizers => new() { "gpt2", "llama3" };

    /// <summary><see cref="Words"/>: the pre-tokenizer's output in byte-level symbols (null for texts holding an added token).</summary>
    private sealed record Reference(string Source, int Merges, int Vocab, string[] Texts, int[][] Ids, string[]?[] Words);

    private static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "Tokenization", "Reference", name);

    private static (ByteLevelBpeTokenizer Tokenizer, Reference Expected) Load(string name)
    {
        var dir = Dir(name);
        var expected = JsonSerializer.Deserialize<Reference>(File.ReadAllText(Path.Combine(dir, "reference-ids.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        return (ByteLevelBpeTokenizer.FromFile(Path.Combine(dir, "tokenizer.json")), expected);
    }

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Encoding_gives_the_ids_huggingface_gives_for_every_reference_text(string name)
    {
        var (tokenizer, expected) = Load(name);
        Assert.Equal(expected.Merges, tokenizer.MergeCount);
        Assert.True(expected.Texts.Length > 300, $"only {expected.Texts.Length} reference texts");
        var mismatches = expected.Texts.Select((text, i) => (text, want: expected.Ids[i], got: tokenizer.Encode(text)))
            .Where(c => !c.want.SequenceEqual(c.got))
            .Select(c => $"{JsonSerializer.Serialize(c.text)}: want [{string.Join(",", c.want)}] got [{string.Join(",", c.got)}]")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {expected.Texts.Length} texts differ from {expected.Source}:\n"
            + string.Join("\n", mismatches.Take(10)));
    }

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Decoding_the_reference_ids_gives_back_the_text(string name)
    {
        var (tokenizer, expected) = Load(name);
        var special = tokenizer.AddedTokens.Select(t => t.Id).ToHashSet();
        var plain = expected.Texts.Select((text, i) => (text, ids: expected.Ids[i])).Where(c => !c.ids.Any(special.Contains)).ToList();
        Assert.True(plain.Count > 300);
        Assert.All(plain, c => Assert.Equal(c.text, tokenizer.Decode(c.ids)));
    }

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Pre_tokenization_splits_words_where_huggingface_does_also_around_emoji_and_other_astral_code_points(string name)
    {
        // The trimmed merges rarely cross a word boundary, so a split difference could leave the ids above equal.
        var (_, expected) = Load(name);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir(name), "tokenizer.json")));
        var preTokenizer = PreTokenizer.Parse(json.RootElement.GetProperty("pre_tokenizer"));
        var cases = expected.Texts.Select((text, i) => (text, want: expected.Words[i])).Where(c => c.want is not null).ToList();
        Assert.Contains(cases, c => c.text.Contains("😁n"));
        var mismatches = cases
            .Select(c => (c.text, c.want, got: preTokenizer.Split(c.text).Select(ByteLevelAlphabet.Encode).ToArray()))
            .Where(c => !c.want!.SequenceEqual(c.got))
            .Select(c => $"{JsonSerializer.Serialize(c.text)}: want {JsonSerializer.Serialize(c.want)} got {JsonSerializer.Serialize(c.got)}")
            .ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.Count} texts split differently:\n" + string.Join("\n", mismatches.Take(10)));
    }
}
