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
