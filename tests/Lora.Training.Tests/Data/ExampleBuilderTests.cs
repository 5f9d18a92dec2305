using Lora.Training.Data;
using Lora.Training.Tokenization;
using Lora.Training.Tests.Tokenization;

namespace Lora.Training.Tests.Data;

/// <summary>Uses the tiny byte tokenizer: 'a' = 97, bos = 256, eos = 257.</summary>
public sealed class ExampleBuilderTests : IDisposable
{
    private const int I = TrainingExample.IgnoreIndex;
    private readonly TempDir _dir = new();
    private readonly ByteLevelBpeTokenizer _tok;

    public ExampleBuilderTests()
    {
        TokenizerFiles.WriteByteLevel(_dir.Path, 259);
        _tok = TokenizerLoader.Load(_dir.Path);
    }

    public void Dispose() => _dir.Dispose();

    private BuiltExamples Build(string jsonl, int t, int? vocab = null) =>
        ExampleBuilder.Build(JsonlDataset.Parse(jsonl, "d.jsonl"), _tok, t, vocab);

    [Fact]
    public void Text_records_are_packed_into_shifted_windows()
    {
        // Stream: <s> a b c </s> <s> d e </s> (9 tokens). Windows of T+1 = 5 start every T = 4 tokens.
        var built = Build("{\"text\":\"abc\"}\n{\"text\":\"de\"}", 4);
        Assert.Equal(2, built.PackedExamples);
        Assert.Equal([256, 97, 98, 99], built.Examples[0].InputIds);
        Assert.Equal([97, 98, 99, 257], built.Examples[0].Labels);
        Assert.Equal([257, 256, 100, 101], built.Examples[1].InputIds);
        Assert.Equal([256, 100, 101, 257], built.Examples[1].Labels);
    }

    [Fact]
    public void Shorter_final_window_is_kept_when_it_has_two_tokens()
    {
        // 9 tokens, T = 3: windows at 0, 3, 6 → lengths 4, 4, 3 → examples of 3, 3, 2 positions.
        var built = Build("{\"text\":\"abc\"}\n{\"text\":\"de\"}", 3);
        Assert.Equal([3, 3, 2], built.Examples.Select(e => e.Length));
        Assert.Equal([101, 257], built.Examples[2].Labels);
        Assert.All(built.Examples, e => Assert.Equal(e.InputIds.Length, e.Labels.Length));
    }

    [Fact]
    public void Prompt_tokens_are_masked_and_completion_plus_eos_carry_the_loss()
    {
        // Tokens: <s> a b | c </s>. Targets b (prompt) and a (prompt) are masked.
        var built = Build("{\"prompt\":\"ab\",\"completion\":\"c\"}", 16);
        var e = Assert.Single(built.Examples);
        Assert.Equal([256, 97, 98, 99], e.InputIds);
        Assert.Equal([I, I, 99, 257], e.Labels);
        Assert.Equal(2, e.LossTokens);
        Assert.Equal(1, built.PromptCompletionExamples);
    }

    [Fact]
    public void Truncated_prompt_completion_keeps_what_fits_and_drops_examples_without_loss()
    {
        var built = Build("{\"prompt\":\"ab\",\"completion\":\"cdef\"}\n{\"prompt\":\"abcdefgh\",\"completion\":\"x\"}", 4);
        var e = Assert.Single(built.Examples);
        Assert.Equal([256, 97, 98, 99], e.InputIds);
        Assert.Equal([I, I, 99, 100], e.Labels);
        Assert.Equal(2, built.TruncatedPromptCompletion);
        Assert.Equal(1, built.DroppedNoLossTokens);
        Assert.Equal(1, built.PromptCompletionExamples);
        Assert.Equal("d.jsonl: 2 of 2 prompt/completion records were cut to seq_len 4 (1 of them dropped: no completion token was left);"
            + " raise --seq-len or shorten the prompts.", built.Notice("d.jsonl", 4));
    }

    [Fact]
    public void All_examples_dropped_is_a_clear_error()
    {
        var e = Assert.Throws<DatasetFormatException>(() => Build("{\"prompt\":\"abcdefgh\",\"completion\":\"x\"}", 4));
        Assert.StartsWith("d.jsonl: no training examples", e.Message);
    }

    [Fact]
    public void Token_outside_the_model_vocab_names_the_record_line()
    {
        // The model has 258 rows, so <pad> (258), written literally in line 2's text, does not fit.
        var e = Assert.Throws<DatasetFormatException>(() => Build("{\"text\":\"a\"}\n{\"text\":\"x<pad>\"}", 8, vocab: 258));
        Assert.StartsWith("d.jsonl:2: token id 258 is outside the model's vocabulary (size 258)", e.Message);
    }

    [Fact]
    public void Pre_tokenized_ids_are_packed_as_given_and_checked_against_the_model_vocab()
    {
        var built = Build("{\"input_ids\":[1,2,3]}\n{\"input_ids\":[4,5]}", 8);   // no BOS/EOS added
        Assert.Equal([1, 2, 3, 4], built.Examples[0].InputIds);
        Assert.Equal([2, 3, 4, 5], built.Examples[0].Labels);
        var e = Assert.Throws<DatasetFormatException>(() => Build("{\"input_ids\":[1,2]}\n{\"input_ids\":[3,-1]}", 8));
        Assert.StartsWith("d.jsonl:2: token id -1 is outside the model's vocabulary (size 259)", e.Message);
    }

    [Fact]
    public void A_tokenizer_that_adds_no_bos_gets_none_in_packed_or_prompt_completion_examples()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "tokenizer_config.json"), """{"add_bos_token": false, "bos_token": "<s>", "eos_token": "</s>"}""");
        var tok = TokenizerLoader.Load(_dir.Path);
        var built = ExampleBuilder.Build(JsonlDataset.Parse("{\"text\":\"ab\"}\n{\"prompt\":\"ab\",\"completion\":\"c\"}", "d.jsonl"), tok, 8);
        Assert.Equal([97, 98], built.Examples[0].InputIds);   // a b </s>
        Assert.Equal([98, 257], built.Examples[0].Labels);
        Assert.Equal([97, 98, 99], built.Examples[1].InputIds);   // a b | c </s>: only target b is a prompt token
        Assert.Equal([I, 99, 257], built.Examples[1].Labels);
    }

    [Fact]
    public void Packed_windows_come_before_prompt_completion_examples()
    {
        var built = Build("{\"prompt\":\"p\",\"completion\":\"c\"}\n{\"text\":\"t\"}", 8);
        Assert.Equal([256, 116], built.Examples[0].InputIds);
        Assert.Equal([256, 112, 99], built.Examples[1].InputIds);
    }
}
