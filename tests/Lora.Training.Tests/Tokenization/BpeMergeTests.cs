using System.Text.Json.Nodes;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Tokenization;

/// <summary>Hand-written tokenizer.json files whose expected ids follow from the merge ranks by hand.</summary>
public sealed class BpeMergeTests
{
    // Ids: h0 e1 l2 o3 Ġ4 w5 r6 d7, then one id per merge result in rank order.
    private const string Vocab = """
        {"h":0,"e":1,"l":2,"o":3,"Ġ":4,"w":5,"r":6,"d":7,
         "ll":8,"he":9,"hell":10,"Ġw":11,"or":12,"Ġwor":13,"ld":14,"ol":15,"<|endoftext|>":16}
        """;

    private const string StringMerges = """["l l","h e","he ll","Ġ w","o r","Ġw or","l d","o l"]""";
    private const string ArrayMerges = """[["l","l"],["h","e"],["he","ll"],["Ġ","w"],["o","r"],["Ġw","or"],["l","d"],["o","l"]]""";

    private static string Gpt2Style(string merges) => $$"""
        {
          "version": "1.0", "truncation": null, "padding": null,
          "added_tokens": [{"id":16,"content":"<|endoftext|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
          "normalizer": null,
          "pre_tokenizer": {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
          "post_processor": {"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true},
          "decoder": {"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
          "model": {"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,
                    "fuse_unk":false,"byte_fallback":false,"vocab":{{Vocab}},"merges":{{merges}}}
        }
        """;

    [Theory]
    [InlineData(StringMerges)]
    [InlineData(ArrayMerges)]
    public void Words_merge_by_rank_within_pre_tokenized_words(string merges)
    {
        var tok = ByteLevelBpeTokenizer.FromJson(Gpt2Style(merges));
        // "hello": h e l l o → (l,l)#0 → h e ll o → (h,e)#1 → he ll o → (he,ll)#2 → hell o.
        // " world" is its own word "Ġworld": (Ġ,w)#3 → (o,r)#4 → (Ġw,or)#5 → (l,d)#6 → Ġwor ld.
        Assert.Equal([10, 3, 13, 14], tok.Encode("hello world"));
        Assert.Equal("hello world", tok.Decode([10, 3, 13, 14]));
    }

    [Fact]
    public void Lowest_rank_wins_over_leftmost_pair()
    {
        var tok = ByteLevelBpeTokenizer.FromJson(Gpt2Style(StringMerges));
        // "old": (o,l) is leftmost but rank 7; (l,d) has rank 6 and merges first, leaving no (o,ld) merge.
        Assert.Equal([3, 14], tok.Encode("old"));
    }

    [Fact]
    public void Equal_pairs_merge_leftmost_first()
    {
        var tok = ByteLevelBpeTokenizer.FromJson(Gpt2Style(StringMerges));
        // "lll": both (l,l) pairs have rank 0; the leftmost merges, then (ll,l) has no merge.
        Assert.Equal([8, 2], tok.Encode("lll"));
    }

    [Fact]
    public void Added_tokens_split_the_text_and_are_skipped_when_decoding()
    {
        var tok = ByteLevelBpeTokenizer.FromJson(Gpt2Style(StringMerges));
        Assert.Equal([10, 3, 16, 13, 14], tok.Encode("hello<|endoftext|> world"));
        Assert.Equal("hello world", tok.Decode([10, 3, 16, 13, 14]));
        Assert.Equal(17, tok.VocabSize);
    }

    [Theory]
    [InlineData("null", false, new[] { 10, 3 })]                          // x dropped before merging: h e l l o → hell o
    [InlineData("\"<|endoftext|>\"", false, new[] { 9, 16, 16, 8, 3 })]  // each x → unk, which then blocks (he, ll)
    [InlineData("\"<|endoftext|>\"", true, new[] { 9, 16, 8, 3 })]       // fuse_unk: the two x → one unk
    public void Characters_missing_from_the_vocab_become_unk_or_are_dropped_like_huggingface(string unk, bool fuse, int[] expected)
    {
        var json = Gpt2Style(StringMerges).Replace("\"unk_token\":null", $"\"unk_token\":{unk}")
            .Replace("\"fuse_unk\":false", $"\"fuse_unk\":{(fuse ? "true" : "false")}");
        Assert.Equal(expected, ByteLevelBpeTokenizer.FromJson(json).Encode("hexxllo"));
    }

    [Fact]
    public void Merge_whose_result_is_not_in_the_vocab_is_rejected()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            ByteLevelBpeTokenizer.FromJson(Gpt2Style("""["h o"]"""), "bad.json"));
        Assert.StartsWith("bad.json:", e.Message);
    }

    [Fact]
    public void Llama3_style_split_pre_tokenizer_groups_digits_by_three()
    {
        // Byte vocab from the tiny writer plus digit merges; "3 4" has the best rank so that GPT-2's
        // whole-word split and Llama-3's three-digit split give different, hand-computable results.
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "tokenizer.json")))!;
        var vocab = json["model"]!["vocab"]!.AsObject();
        vocab["12"] = 259; vocab["123"] = 260; vocab["34"] = 261; vocab["45"] = 262;
        json["model"]!["merges"] = JsonNode.Parse("""["3 4","1 2","12 3","4 5"]""");
        var gpt2 = ByteLevelBpeTokenizer.FromJson(json.ToJsonString());

        // GPT-2 regex keeps "12345" whole: (3,4)#0 → 1 2 34 5 → (1,2)#1 → 12 34 5; '5' is byte 53.
        Assert.Equal([259, 261, 53], gpt2.Encode("12345"));

        json["pre_tokenizer"] = JsonNode.Parse($$"""
            {"type":"Sequence","pretokenizers":[
              {"type":"Split","pattern":{"Regex":{{System.Text.Json.JsonSerializer.Serialize(Llama3Pattern)}}},"behavior":"Isolated","invert":false},
              {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}
            """);
        var llama3 = ByteLevelBpeTokenizer.FromJson(json.ToJsonString());
        // "123" → 1 2 3 → 12 3 → 123; "45" → 45.
        Assert.Equal([260, 262], llama3.Encode("12345"));
        Assert.Equal("12345 héllo 👍", llama3.Decode(llama3.Encode("12345 héllo 👍")));
    }

    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [Fact]
    public void Empty_subword_affixes_mean_none_and_a_real_one_is_rejected_by_name()
    {
        // GPT-2's published tokenizer.json writes "" where others write null.
        var empty = Gpt2Style(StringMerges).Replace("\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null",
            "\"continuing_subword_prefix\":\"\",\"end_of_word_suffix\":\"\"");
        Assert.Equal([10, 3, 13, 14], ByteLevelBpeTokenizer.FromJson(empty).Encode("hello world"));

        var wordPiece = Gpt2Style(StringMerges).Replace("\"continuing_subword_prefix\":null", "\"continuing_subword_prefix\":\"##\"");
        var e = Assert.Throws<InvalidDataException>(() => ByteLevelBpeTokenizer.FromJson(wordPiece));
        Assert.Contains("continuing_subword_prefix '##' is not supported", e.Message);
    }
}
