namespace Lora.Training.Data;

/// <summary>
/// The result of <see cref="ExampleBuilder.Build(JsonlDataset, Tokenization.ITextTokenizer, int, int?)"/>, with
/// counts worth reporting to the user. Prompt/completion records: <see cref="PromptCompletionRecords"/> read, of which <see cref="TruncatedPromptCompletion"/> were longer
/// than a sequence and cut, and of those <see cref="DroppedNoLossTokens"/> lost every completion token and were dropped.
/// </summary>
public sealed record BuiltExamples(
    IReadOnlyList<TrainingExample> Examples,
    int PackedExamples,
    int PromptCompletionRecords,
    int TruncatedPromptCompletion,
    int DroppedNoLossTokens)
{
    /// <summary>Prompt/completion examples that train: every record read but the dropped ones.</summary>
    public int PromptCompletionExamples => PromptCompletionRecords - DroppedNoLossTokens;

    /// <summary>What a user must be told about their data (null when every record trained whole). <paramref name="remedy"/>
    /// names what the user can change: a command without --seq-len (eval scores at the model's context) has another.</summary>
    public string? Notice(string source, int seqLen, string? remedy = null) =>
        TruncatedPromptCompletion + DroppedNoLossTokens == 0 ? null
        : $"{source}: {TruncatedPromptCompletion} of {PromptCompletionRecords} prompt/completion records were cut to seq_len {seqLen}"
          + (DroppedNoLossTokens == 0 ? "" : $" ({DroppedNoLossTokens} of them dropped: no completion token was left)")
          + $"; {remedy ?? "raise --seq-len or shorten the prompts"}.";
}
