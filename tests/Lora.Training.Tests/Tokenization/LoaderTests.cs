using System.Text.Json.Nodes;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Tokenization;

public sealed class LoaderTests
{
    [Fact]
    public void Missing_tokenizer_json_names_the_path()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "tokenizer.json"), e.Message);
    }

    [Fact]
    public void Invalid_tokenizer_json_names_the_path()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(path, "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(dir.Path));
        Assert.StartsWith(path, e.Message);
    }

    [Fact]
    public void Non_byte_level_tokenizer_is_rejected_with_the_reason()
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        var path = Path.Combine(dir.Path, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type":"Metaspace","replacement":"▁"}""");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(dir.Path));
        Assert.Contains("Metaspace", e.Message);
    }

    [Fact]
    public void Null_bos_in_config_means_none_and_pad_falls_back_to_eos()
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        // Qwen2-style config: bos_token explicitly null, no pad token anywhere.
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"),
            """{"bos_token": null, "eos_token": {"content": "</s>", "__type": "AddedToken"}}""");
        File.Delete(Path.Combine(dir.Path, "special_tokens_map.json"));
        var path = Path.Combine(dir.Path, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["added_tokens"]!.AsArray().RemoveAt(2); // drop <pad> so the name fallback cannot find it
        json["model"]!["vocab"]!.AsObject().Remove("<pad>");
        File.WriteAllText(path, json.ToJsonString());

        var tok = TokenizerLoader.Load(dir.Path);
        Assert.Null(tok.BosId);
        Assert.Equal(257, tok.EosId);
        Assert.Equal(257, tok.PadId);
    }

    [Fact]
    public void Without_config_files_well_known_names_are_used()
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        File.Delete(Path.Combine(dir.Path, "tokenizer_config.json"));
        File.Delete(Path.Combine(dir.Path, "special_tokens_map.json"));
        var tok = TokenizerLoader.Load(dir.Path);
        Assert.Equal((256, 257, 258), (tok.BosId, tok.EosId, tok.PadId));
    }

    private const string ByteLevelOnly = """{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":true}""";
    private const string BosTemplate = """{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}]}""";

    [Theory]
    [InlineData(ByteLevelOnly, null, null)]                 // SmolLM2: bos_token named, but HF adds none
    [InlineData("null", null, null)]
    [InlineData(ByteLevelOnly, true, 256)]                  // the built-in model: add_bos_token true
    [InlineData(BosTemplate, null, 256)]
    [InlineData("{\"type\":\"Sequence\",\"processors\":[" + ByteLevelOnly + "," + BosTemplate + "]}", null, 256)]   // Llama 3
    [InlineData(BosTemplate, false, null)]                  // an explicit add_bos_token false wins
    [InlineData("""{"type":"TemplateProcessing","single":[{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"</s>","type_id":0}}]}""", null, null)]
    [InlineData("""{"type":"TemplateProcessing","single":"<s> $A"}""", null, 256)]
    public void Bos_is_prepended_only_where_huggingface_adds_it(string postProcessor, bool? addBosToken, int? expected)
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        var path = Path.Combine(dir.Path, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["post_processor"] = JsonNode.Parse(postProcessor);
        File.WriteAllText(path, json.ToJsonString());
        var config = new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = "</s>" };
        if (addBosToken is { } add) config["add_bos_token"] = add;
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), config.ToJsonString());

        var tok = TokenizerLoader.Load(dir.Path);
        Assert.Equal(256, tok.BosId);
        Assert.Equal(expected, tok.PrependedBosId);
    }

    [Theory]
    [InlineData("""{"bos_token": {"content": 5}}""", "tokenizer_config.json: bos_token.content must be a non-empty string (got 5)")]
    [InlineData("""{"eos_token": {"special": true}}""", "tokenizer_config.json: eos_token is an object without \"content\"")]
    [InlineData("""{"pad_token": 3}""", "tokenizer_config.json: pad_token must be a non-empty string (got 3)")]
    [InlineData("""{"add_bos_token": "true"}""", "tokenizer_config.json: add_bos_token must be true or false (got \"true\")")]
    public void Malformed_special_token_settings_name_the_file_and_field(string config, string expected)
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), config);
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(dir.Path));
        Assert.StartsWith(Path.Combine(dir.Path, expected), e.Message);
    }

    [Theory]
    [InlineData("content", "null", "added_tokens[1].content must be a non-empty string (got null)")]
    [InlineData("id", "\"257\"", "added_tokens[1].id must be a non-negative integer (got \"257\")")]
    public void Malformed_added_token_names_the_file_and_entry(string field, string value, string expected)
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        var path = Path.Combine(dir.Path, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["added_tokens"]![1]![field] = JsonNode.Parse(value);
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(dir.Path));
        Assert.StartsWith($"{path}: {expected}", e.Message);
    }

    [Fact]
    public void Config_naming_an_unknown_token_is_an_error()
    {
        using var dir = new TempDir();
        TokenizerFiles.WriteByteLevel(dir.Path, 259);
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), """{"eos_token": "<|nope|>"}""");
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(dir.Path));
        Assert.Contains("<|nope|>", e.Message);
    }
}
