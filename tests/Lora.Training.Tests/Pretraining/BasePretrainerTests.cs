using Lora.Training.Model;
using Lora.Training.Pretraining;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Pretraining;

public sealed class BasePretrainerTests
{
    private static readonly LlamaConfig Micro = new()
    {
        VocabSize = 260, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1,
        NumAttentionHeads = 2, NumKeyValueHeads = 1, MaxPositionEmbeddings = 32,
    };

    private static int[] Stream()
    {
        var dir = Directory.CreateTempSubdirectory("tok-");
        try
        {
            TokenizerFiles.WriteByteLevel(dir.FullName, 260);
            var tokenizer = TokenizerLoader.Load(dir.FullName);
            var words = new[] { "alpha", "beta", "gamma", "delta", "kappa", "sigma" };
            var docs = Enumerable.Range(0, 60).Select(i => $"item {i % 7}: {words[i % words.Length]} {words[(i * 5) % words.Length]}");
            return BasePretrainer.Tokenize(docs, tokenizer);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private static (PretrainResult Result, double Before, double After) Run(long seed)
    {
        var stream = Stream();
        using var model = LlamaForCausalLM.Create(Micro).InitializeRandom(seed);
        var before = BasePretrainer.Evaluate(model, stream, 32, 8);
        var result = new BasePretrainer(model, new PretrainSettings
        {
            Steps = 40, BatchSize = 8, SeqLen = 32, LearningRate = 1e-2, WarmupSteps = 5, Seed = seed, LogEvery = 1000,
        }).Train(stream);
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));   // frozen again for adapters
        return (result, before, BasePretrainer.Evaluate(model, stream, 32, 8));
    }

    [Fact]
    public void Pretraining_a_micro_model_drops_the_loss_and_refreezes_it()
    {
        var (result, before, after) = Run(1);
        Assert.True(before > 5.0, $"random init should be near ln(260) = 5.56, got {before:F3}");
        Assert.True(after < before - 2.0, $"loss {before:F3} -> {after:F3}");
        Assert.True(after < BasePretrainer.UnigramEntropy(Stream()), $"{after:F3} is not below the unigram entropy");
        Assert.Equal(40 * 8 * 32, result.Tokens);
    }

    [Fact]
    public void Pretraining_is_deterministic_for_a_seed()
    {
        var a = Run(7);
        var b = Run(7);
        Assert.Equal(a.After, b.After, 4);
        Assert.Equal(a.Result.InitialLoss, b.Result.InitialLoss, 5);
    }

    [Fact]
    public void Learning_rate_warms_up_then_decays_to_the_floor()
    {
        using var model = LlamaForCausalLM.Create(Micro);
        var p = new BasePretrainer(model, new PretrainSettings { Steps = 100, WarmupSteps = 10, LearningRate = 1.0, MinLrFraction = 0.1 });
        Assert.Equal(0.1, p.LearningRate(0), 6);
        Assert.Equal(1.0, p.LearningRate(9), 6);
        Assert.True(p.LearningRate(50) is < 1.0 and > 0.1);
        Assert.Equal(0.1, p.LearningRate(100), 6);
    }
}
