namespace Lora.Training.Data;

/// <summary>The result of <see cref="ExampleBuilder.Build"/>, with counts worth reporting to the user.</summary>
public sealed record BuiltExamples(
    IReadOnlyList<TrainingExample> Examples,
    int PackedExamples,
    int PromptCompletionExamples,
    int TruncatedPromptCompletion,
    int DroppedNoLossTokens);
