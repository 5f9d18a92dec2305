using Lora.Training.Model;
using Lora.Training.Pretraining;
using Lora.Training.Tests.Checkpoints;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Pretraining;

// One collection: a test here sets LORA_BUILTIN_MODEL, which every DefaultPath() call in the process reads.
[Collection("builtin-model")]
public sealed class BuiltinModelTests
{
    [Fact]
    public void Committed_model_is_found_small_and_loads_with_its_tokenizer()
    {
        var dir = BuiltinModel.DefaultPath();
        Assert.True(new FileInfo(Path.Combine(dir, "model.safetensors")).Length < 20 << 20);
        using var model = BaseModel.Load(dir);
        Assert.Equal(BuiltinModel.Config.HiddenSize, model.Config.HiddenSize);
        Assert.Equal(256, model.Tokenizer.BosId);
        Assert.Equal(257, model.Tokenizer.EosId);
        Assert.All(model.Model.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Committed_tokenizer_files_are_what_the_writer_produces_and_prepend_bos()
    {
        using var dir = new TempDirectory();
        TokenizerFiles.WriteByteLevel(dir.Path, BuiltinModel.Config.VocabSize);
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            Assert.Equal(File.ReadAllText(dir.File(name)), File.ReadAllText(Path.Combine(BuiltinModel.DefaultPath(), name)));
        // The model was pretrained with <s> before every document: it must keep getting one.
        Assert.Equal(TokenizerFiles.BosId, TokenizerLoader.Load(BuiltinModel.DefaultPath()).PrependedBosId);
    }

    [Fact]
    public void Committed_model_beats_unigram_and_random_init_on_held_out_text()
    {
        using var model = BaseModel.Load(BuiltinModel.DefaultPath());
        // The held-out licence exists on every Debian machine; synthetic text from an unseen seed works anywhere.
        var heldOut = File.Exists(Path.Combine(PretrainCorpus.LicenseDir, PretrainCorpus.HeldOutLicense))
            ? BasePretrainer.Tokenize([PretrainCorpus.ReadLicense(PretrainCorpus.HeldOutLicense)], model.Tokenizer)
            : BuiltinModel.HeldOutSynthetic(0, model.Tokenizer);
        var loss = BasePretrainer.Evaluate(model.Model, heldOut, 128, 24);
        var unigram = BasePretrainer.UnigramEntropy(heldOut);
        using var random = LlamaForCausalLM.Create(BuiltinModel.Config).InitializeRandom(0);
        var randomLoss = BasePretrainer.Evaluate(random, heldOut, 128, 24);
        Assert.True(loss < unigram - 0.5, $"held-out loss {loss:F3} vs unigram entropy {unigram:F3}");
        Assert.True(loss < randomLoss - 2.5, $"held-out loss {loss:F3} vs random init {randomLoss:F3}");
    }

    [Fact]
    public void DefaultPath_honours_the_environment_override_and_names_it_when_wrong()
    {
        var previous = Environment.GetEnvironmentVariable(BuiltinModel.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(BuiltinModel.PathVariable, "/nonexistent/builtin");
            var e = Assert.Throws<DirectoryNotFoundException>(BuiltinModel.DefaultPath);
            Assert.Contains(BuiltinModel.PathVariable, e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(BuiltinModel.PathVariable, previous);
        }
    }
}
