using System.Text;
using System.Text.Json;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Tokenization;

public sealed class TinyTokenizerTests
{
    private static ByteLevelBpeTokenizer LoadTiny(TempDir dir, int vocabSize = 512)
    {
        TokenizerFiles.WriteByteLevel(dir.Path, vocabSize);
        return TokenizerLoader.Load(dir.Path);
    }

    [Fact]
    public void Written_tiny_tokenizer_loads_with_its_special_tokens()
    {
        using var dir = new TempDir();
        var tok = LoadTiny(dir);
        Assert.Equal(259, tok.VocabSize);
        Assert.Equal(256, tok.BosId);
        Assert.Equal(257, tok.EosId);
        Assert.Equal(258, tok.PadId);
        Assert.Equal(0, tok.MergeCount);
        Assert.True(File.Exists(Path.Combine(dir.Path, "tokenizer_config.json")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "special_tokens_map.json")));
    }

    [Theory]
    [InlineData("Hello, world!")]
    [InlineData("  leading and trailing spaces \n\ttabs\r\n")]
    [InlineData("héllo wörld — ñandú, 日本語のテキスト")]
    [InlineData("emoji 👍🏽 🚀 family 👨‍👩‍👧")]
    public void Encoding_is_the_utf8_bytes_and_decodes_back(string text)
    {
        using var dir = new TempDir();
        var tok = LoadTiny(dir);
        var ids = tok.Encode(text);
        Assert.Equal(Encoding.UTF8.GetBytes(text).Select(b => (int)b), ids);
        Assert.Equal(text, tok.Decode(ids));
    }

    [Fact]
    public void Decode_skips_special_tokens_and_encode_adds_none()
    {
        using var dir = new TempDir();
        var tok = LoadTiny(dir);
        Assert.Equal([104, 105], tok.Encode("hi"));
        Assert.Equal("hi", tok.Decode([256, 104, 258, 105, 257]));
    }

    [Fact]
    public void Special_token_text_in_input_becomes_its_id_as_in_huggingface()
    {
        using var dir = new TempDir();
        var tok = LoadTiny(dir);
        Assert.Equal([97, 257, 98], tok.Encode("a</s>b"));
    }

    [Fact]
    public void Vocab_size_below_259_is_rejected_with_a_clear_error()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerFiles.WriteByteLevel(dir.Path, 258));
        Assert.Contains("259", e.Message);
    }

    [Fact]
    public void Written_tokenizer_json_follows_the_huggingface_schema()
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 300);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "tokenizer.json")));
        var root = doc.RootElement;
        Assert.Equal("1.0", root.GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("truncation").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("padding").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("normalizer").ValueKind);
        var pre = root.GetProperty("pre_tokenizer");
        Assert.Equal("ByteLevel", pre.GetProperty("type").GetString());
        Assert.False(pre.GetProperty("add_prefix_space").GetBoolean());
        Assert.True(pre.GetProperty("trim_offsets").GetBoolean());
        Assert.True(pre.GetProperty("use_regex").GetBoolean());
        Assert.Equal("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());
        var model = root.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        foreach (var nullField in new[] { "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix" })
            Assert.Equal(JsonValueKind.Null, model.GetProperty(nullField).ValueKind);
        Assert.False(model.GetProperty("fuse_unk").GetBoolean());
        Assert.False(model.GetProperty("byte_fallback").GetBoolean());
        Assert.Equal(0, model.GetProperty("merges").GetArrayLength());
        var vocab = model.GetProperty("vocab");
        Assert.Equal(259, vocab.EnumerateObject().Count());
        // GPT-2's table: space → 'Ġ' (U+0120), newline → 'Ċ' (U+010A), NUL → 'Ā' (U+0100), '!' → itself.
        Assert.Equal(32, vocab.GetProperty("\u0120").GetInt32());
        Assert.Equal(10, vocab.GetProperty("\u010A").GetInt32());
        Assert.Equal(0, vocab.GetProperty("\u0100").GetInt32());
        Assert.Equal(33, vocab.GetProperty("!").GetInt32());
        var added = root.GetProperty("added_tokens").EnumerateArray()
            .Select(t => (t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString(), t.GetProperty("special").GetBoolean()));
        Assert.Equal([(256, "<s>", true), (257, "</s>", true), (258, "<pad>", true)], added);
    }
}
