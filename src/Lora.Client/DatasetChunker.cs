using System.Text;

namespace Lora.Client;

/// <summary>Splits a JSONL dataset into pieces small enough for one grain message each.</summary>
public static class DatasetChunker
{
    /// <summary>Default chunk limit: 1 MiB of UTF-8.</summary>
    public const int DefaultMaxBytes = 1024 * 1024;

    /// <summary>
    /// Splits <paramref name="text"/> into chunks of at most <paramref name="maxBytes"/> UTF-8 bytes whose
    /// concatenation is the original text. Cuts after a newline when one fits (so chunks are whole records and
    /// easy to inspect), otherwise anywhere except inside a surrogate pair. An empty dataset is one empty chunk,
    /// so the silo still sees a complete (empty) upload and reports the real validation error.
    /// </summary>
    public static IReadOnlyList<string> Split(string text, int maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 4); // one UTF-8 code point must fit
        if (text.Length == 0) return [""];
        var chunks = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var end = start;
            var bytes = 0;
            var lastNewlineEnd = -1;
            while (end < text.Length)
            {
                var width = char.IsHighSurrogate(text[end]) && end + 1 < text.Length && char.IsLowSurrogate(text[end + 1]) ? 2 : 1;
                var size = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
                if (bytes + size > maxBytes) break;
                bytes += size;
                end += width;
                if (text[end - 1] == '\n') lastNewlineEnd = end;
            }
            var cut = end < text.Length && lastNewlineEnd > start ? lastNewlineEnd : end;
            chunks.Add(text[start..cut]);
            start = cut;
        }
        return chunks;
    }
}
