namespace Lora.Training.Data;

/// <summary>A dataset the trainer cannot use. The message is "&lt;source&gt;:&lt;line&gt;: &lt;reason&gt;" so editors can jump to it.</summary>
public sealed class DatasetFormatException : FormatException
{
    public DatasetFormatException(string source, int? line, string reason)
        : base(line is { } l ? $"{source}:{l}: {reason}" : $"{source}: {reason}")
    {
        SourceName = source;
        Line = line;
        Reason = reason;
    }

    public string SourceName { get; }
    /// <summary>1-based line number, or null for errors about the whole dataset.</summary>
    public int? Line { get; }
    public string Reason { get; }
}
