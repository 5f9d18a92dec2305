using System.Text;

namespace Lora.Training.Data;

/// <summary>
/// Reads lines without ever buffering more than a limit, so one multi-gigabyte "line" (a file with no newlines)
/// fails fast instead of being read whole into memory as TextReader.ReadLine would.
/// </summary>
internal static class BoundedLineReader
{
    /// <summary>Yields (1-based line number, text); text is null when the line exceeded <paramref name="maxChars"/>.</summary>
    public static IEnumerable<(int Line, string? Text)> Read(TextReader reader, int maxChars)
    {
        var buffer = new StringBuilder();
        var lineNo = 1;
        var tooLong = false;
        var any = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            any = true;
            if (c == '\n')
            {
                yield return (lineNo++, tooLong ? null : TrimCarriageReturn(buffer));
                buffer.Clear();
                tooLong = false;
                any = false;
                continue;
            }
            if (tooLong) continue;
            // +1 leaves room for a '\r' that belongs to a CRLF ending rather than to the content.
            if (buffer.Length >= maxChars + 1) { tooLong = true; buffer.Clear(); continue; }
            buffer.Append((char)c);
        }
        if (any) yield return (lineNo, tooLong ? null : TrimCarriageReturn(buffer));
    }

    private static string TrimCarriageReturn(StringBuilder buffer)
    {
        var length = buffer.Length > 0 && buffer[^1] == '\r' ? buffer.Length - 1 : buffer.Length;
        return buffer.ToString(0, length);
    }
}
