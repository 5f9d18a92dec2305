namespace Lora.Training.Data;

/// <summary>Limits that keep a malformed or hostile dataset from exhausting memory.</summary>
public sealed record JsonlOptions
{
    public static JsonlOptions Default { get; } = new();

    /// <summary>Longest accepted line in UTF-8 bytes (1 MiB): longer lines are almost always a broken file.</summary>
    public int MaxLineBytes { get; init; } = 1 << 20;

    /// <summary>More records than this is an error rather than a silent truncation of the training data.</summary>
    public int MaxRecords { get; init; } = 10_000_000;
}
