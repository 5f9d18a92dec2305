namespace Lora.Training.Data;

/// <summary>
/// One parsed JSONL line: plain <see cref="Text"/> or pre-tokenized <see cref="TokenIds"/> (both packed, loss on
/// every token), or a <see cref="Prompt"/>/<see cref="Completion"/> pair (one example, loss only on the completion).
/// </summary>
public sealed record DatasetRecord
{
    private DatasetRecord(int line, string? text, string? prompt, string? completion, int[]? tokenIds = null)
    {
        Line = line;
        Text = text;
        Prompt = prompt;
        Completion = completion;
        TokenIds = tokenIds;
    }

    /// <summary>1-based line in the source, for error messages.</summary>
    public int Line { get; }
    public string? Text { get; }
    public string? Prompt { get; }
    public string? Completion { get; }
    /// <summary>Already tokenized by the user ("input_ids"): used as given, no BOS/EOS added.</summary>
    public int[]? TokenIds { get; }
    public bool IsText => Text is not null;
    public bool IsTokenIds => TokenIds is not null;

    public static DatasetRecord ForText(int line, string text) => new(line, text, null, null);

    public static DatasetRecord ForTokenIds(int line, int[] tokenIds) => new(line, null, null, null, tokenIds);

    public static DatasetRecord ForPromptCompletion(int line, string prompt, string completion) =>
        new(line, null, prompt, completion);
}
