namespace Lora.Training.Data;

/// <summary>One batch and the cursor position after it: persisting <see cref="Next"/> resumes right after this batch.</summary>
public sealed record DataBatch(IReadOnlyList<TrainingExample> Examples, CursorPosition Start, CursorPosition Next);
