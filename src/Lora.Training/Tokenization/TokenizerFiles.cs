using System.Text.Json;

namespace Lora.Training.Tokenization;

/// <summary>Writes tokenizer files in HuggingFace's format, for tiny models built and tested here.</summary>
public static class TokenizerFiles
{
    public const int ByteCount = 256;
    public const int BosId = 256;
    public const int EosId = 257;
    public const int PadId = 258;
    public const int MinByteLevelVocabSize = 259;

    private static readonly (int Id, string Content)[] SpecialTokens = [(BosId, "<s>"), (EosId, "</s>"), (PadId, "<pad>")];

    /// <summary>
    /// Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json for a byte-level BPE tokenizer
    /// with the 256 byte symbols (ids 0..255 in byte order), no merges, and &lt;s&gt;=256, &lt;/s&gt;=257, &lt;pad&gt;=258.
    /// <paramref name="vocabSize"/> is the model's embedding size, which must cover those 259 ids.
    /// </summary>
    public static void WriteByteLevel(string dir, int vocabSize)
    {
        if (vocabSize < MinByteLevelVocabSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"a byte-level tokenizer needs vocab_size >= {MinByteLevelVocabSize} (256 bytes + <s>, </s>, <pad>).");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "tokenizer.json"), Write(WriteTokenizerJson));
        File.WriteAllBytes(Path.Combine(dir, "tokenizer_config.json"), Write(WriteTokenizerConfig));
        File.WriteAllBytes(Path.Combine(dir, "special_tokens_map.json"), Write(WriteSpecialTokensMap));
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        // Relaxed escaping keeps "Ġ" and "<s>" readable instead of \u0120 and \u003C; both parse identically.
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions
               { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            body(w);
        }
        return stream.ToArray();
    }

    // Field order and names follow what HuggingFace tokenizers serializes, so its strict serde reader accepts it.
    private static void WriteTokenizerJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        foreach (var (id, content) in SpecialTokens) WriteAddedToken(w, id, content, withId: true);
        w.WriteEndArray();
        w.WriteNull("normalizer");
        w.WritePropertyName("pre_tokenizer");
        WriteByteLevelComponent(w, addPrefixSpace: false, trimOffsets: true);
        w.WritePropertyName("post_processor");
        WritePostProcessor(w);
        w.WritePropertyName("decoder");
        WriteByteLevelComponent(w, addPrefixSpace: false, trimOffsets: true);
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteStartObject("vocab");
        for (var b = 0; b < ByteCount; b++) w.WriteNumber(ByteLevelAlphabet.ByteToChar((byte)b).ToString(), b);
        foreach (var (id, content) in SpecialTokens) w.WriteNumber(content, id);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteByteLevelComponent(Utf8JsonWriter w, bool addPrefixSpace, bool trimOffsets)
    {
        w.WriteStartObject();
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
    }

    /// <summary>
    /// Llama 3's shape: ByteLevel, then a template that puts &lt;s&gt; before the text. The template is what makes
    /// HuggingFace add BOS; add_bos_token in tokenizer_config.json says the same for readers that look there.
    /// </summary>
    private static void WritePostProcessor(Utf8JsonWriter w)
    {
        var (bosId, bos) = SpecialTokens[0];
        w.WriteStartObject();
        w.WriteString("type", "Sequence");
        w.WriteStartArray("processors");
        WriteByteLevelComponent(w, addPrefixSpace: false, trimOffsets: false);
        w.WriteStartObject();
        w.WriteString("type", "TemplateProcessing");
        WriteTemplate(w, "single", (bos, 0), ("A", 0));
        WriteTemplate(w, "pair", (bos, 0), ("A", 0), (bos, 1), ("B", 1));
        w.WriteStartObject("special_tokens");
        w.WriteStartObject(bos);
        w.WriteString("id", bos);
        w.WriteStartArray("ids");
        w.WriteNumberValue(bosId);
        w.WriteEndArray();
        w.WriteStartArray("tokens");
        w.WriteStringValue(bos);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Pieces named "A"/"B" are the input sequences, any other a special token.</summary>
    private static void WriteTemplate(Utf8JsonWriter w, string name, params (string Id, int TypeId)[] pieces)
    {
        w.WriteStartArray(name);
        foreach (var (id, typeId) in pieces)
        {
            w.WriteStartObject();
            w.WriteStartObject(id is "A" or "B" ? "Sequence" : "SpecialToken");
            w.WriteString("id", id);
            w.WriteNumber("type_id", typeId);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteAddedToken(Utf8JsonWriter w, int id, string content, bool withId)
    {
        w.WriteStartObject();
        if (withId) w.WriteNumber("id", id);
        w.WriteString("content", content);
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", false);
        w.WriteBoolean("special", true);
        w.WriteEndObject();
    }

    private static void WriteTokenizerConfig(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteBoolean("add_bos_token", true);
        w.WriteBoolean("add_eos_token", false);
        w.WriteStartObject("added_tokens_decoder");
        foreach (var (id, content) in SpecialTokens)
        {
            w.WritePropertyName(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            WriteAddedToken(w, id, content, withId: false);
        }
        w.WriteEndObject();
        w.WriteString("bos_token", "<s>");
        w.WriteBoolean("clean_up_tokenization_spaces", false);
        w.WriteString("eos_token", "</s>");
        w.WriteString("pad_token", "<pad>");
        w.WriteNull("unk_token");
        w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        w.WriteEndObject();
    }

    private static void WriteSpecialTokensMap(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("bos_token", "<s>");
        w.WriteString("eos_token", "</s>");
        w.WriteString("pad_token", "<pad>");
        w.WriteEndObject();
    }
}
