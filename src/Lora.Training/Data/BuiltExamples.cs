namespace Lora.Training.Data;

/// <summary>The result of <see cref="ExampleBuilder.Build"/>, with counts worth reporting to the user.</summary>
public sealed record BuiltExamples(
    IReadOnlyList<TrainingExample> Examples,
    int PackedExamples,
    int PromptCompletionExamples,
    int TruncatedPromptCompletion,
    int DroppedNoLossTokens)
{
    /// <summary>What a user must be told about their data (null when every record trained whole): records cut to
    /// the sequence length and records dropped because no completion token was left.</summary>
    public string? Notice(string source, int seqLen) => TruncatedPromptCompletion + DroppedNoLossTokens == 0 ? null
        : $"{source}: {TruncatedPromptCompletion} of {PromptCompletionExamples} prompt/completion records were cut to seq_len {seqLen}"
          + $" and {DroppedNoLossTokens} dropped because no completion token was left; raise --seq-len or shorten the prompts.";
}
