using System.Text;
using System.Text.Json;

namespace Lora.Training.Data;

/// <summary>
/// A JSONL training set: each non-empty line is {"text": …}, {"prompt": …, "completion": …}, or pre-tokenized
/// {"input_ids": [int, …]} (the form HF datasets save after tokenization).
/// Any bad line fails the whole load with <see cref="DatasetFormatException"/> ("source:line: reason"):
/// training on a silently half-read file is worse than not starting.
/// </summary>
public sealed class JsonlDataset
{
    private JsonlDataset(string source, IReadOnlyList<DatasetRecord> records)
    {
        Source = source;
        Records = records;
    }

    /// <summary>The file path or name used in error messages.</summary>
    public string Source { get; }
    public IReadOnlyList<DatasetRecord> Records { get; }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static JsonlDataset Load(string path, JsonlOptions? options = null)
    {
        try
        {
            // StreamReader drops a UTF-8 BOM; the reader streams, so a huge file is never held twice. Invalid bytes
            // throw instead of becoming U+FFFD: a Latin-1 file must not train on replacement characters.
            using var reader = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: true);
            return Read(reader, path, options ?? JsonlOptions.Default);
        }
        catch (DecoderFallbackException)
        {
            throw new DatasetFormatException(path, FirstLineNotUtf8(path), "not valid UTF-8: save the file as UTF-8");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, null, $"cannot read dataset: {e.Message}");
        }
    }

    /// <summary>
    /// The 1-based line holding the first invalid UTF-8 sequence. The reader decodes blocks ahead of the line it
    /// returns, so its error cannot say where; this second pass decodes line by line ('\n' never occurs inside a
    /// UTF-8 sequence, so lines can be cut on bytes).
    /// </summary>
    private static int? FirstLineNotUtf8(string path)
    {
        var decoder = StrictUtf8.GetDecoder();
        var bytes = new byte[1 << 16];
        var chars = new char[bytes.Length + 4];   // room for a sequence begun in the previous block
        using var stream = File.OpenRead(path);
        var line = 1;
        int read;
        while ((read = stream.Read(bytes)) > 0)
        {
            for (var start = 0; start < read;)
            {
                var end = Array.IndexOf(bytes, (byte)'\n', start, read - start);
                var lineEnds = end >= 0;
                try { decoder.GetChars(bytes.AsSpan(start, (lineEnds ? end : read) - start), chars, flush: lineEnds); }
                catch (DecoderFallbackException) { return line; }
                if (!lineEnds) break;
                line++;
                start = end + 1;
            }
        }
        try { decoder.GetChars([], chars, flush: true); }
        catch (DecoderFallbackException) { return line; }
        return null;
    }

    /// <summary>Parses JSONL held in memory; <paramref name="sourceName"/> prefixes error messages.</summary>
    public static JsonlDataset Parse(string text, string sourceName, JsonlOptions? options = null)
    {
        using var reader = new StringReader(text.StartsWith('\uFEFF') ? text[1..] : text);
        return Read(reader, sourceName, options ?? JsonlOptions.Default);
    }

    private static JsonlDataset Read(TextReader reader, string source, JsonlOptions options)
    {
        var records = new List<DatasetRecord>();
        foreach (var (line, text) in BoundedLineReader.Read(reader, options.MaxLineBytes))
        {
            if (text is null || Encoding.UTF8.GetByteCount(text) > options.MaxLineBytes)
                throw new DatasetFormatException(source, line, $"line longer than the maximum of {options.MaxLineBytes} bytes");
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (records.Count == options.MaxRecords)
                throw new DatasetFormatException(source, line, $"more than the maximum of {options.MaxRecords} records");
            records.Add(ParseLine(text, source, line));
        }
        if (records.Count == 0)
            throw new DatasetFormatException(source, null, "dataset is empty (no non-blank lines)");
        return new JsonlDataset(source, records);
    }

    private static DatasetRecord ParseLine(string text, string source, int line)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(source, line, $"invalid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new DatasetFormatException(source, line, $"expected a JSON object, got {Describe(root.ValueKind)}");
            var hasText = root.TryGetProperty("text", out _);
            var hasPrompt = root.TryGetProperty("prompt", out _);
            var hasCompletion = root.TryGetProperty("completion", out _);
            if (root.TryGetProperty("input_ids", out var ids))
            {
                if (hasText || hasPrompt || hasCompletion)
                    throw new DatasetFormatException(source, line, "has both \"input_ids\" and text fields; use one form per line");
                return DatasetRecord.ForTokenIds(line, RequireTokenIds(ids, source, line));
            }
            if (hasText && (hasPrompt || hasCompletion))
                throw new DatasetFormatException(source, line, "has both \"text\" and \"prompt\"/\"completion\"; use one form per line");
            if (hasText) return DatasetRecord.ForText(line, RequireString(root, "text", source, line));
            if (!hasPrompt && !hasCompletion)
                throw new DatasetFormatException(source, line, "expected a \"text\" field or \"prompt\" and \"completion\" fields");
            var prompt = RequireString(root, "prompt", source, line);
            var completion = RequireString(root, "completion", source, line);
            return DatasetRecord.ForPromptCompletion(line, prompt, completion);
        }
    }

    private static string RequireString(JsonElement root, string name, string source, int line)
    {
        if (!root.TryGetProperty(name, out var value))
            throw new DatasetFormatException(source, line, $"missing \"{name}\" field");
        if (value.ValueKind != JsonValueKind.String)
            throw new DatasetFormatException(source, line, $"\"{name}\" must be a string, got {Describe(value.ValueKind)}");
        string s;
        try { s = value.GetString()!; }
        catch (InvalidOperationException) { throw new DatasetFormatException(source, line, $"\"{name}\" holds an unpaired UTF-16 surrogate escape (not valid text)"); }
        if (s.Length == 0) throw new DatasetFormatException(source, line, $"\"{name}\" is empty");
        return s;
    }

    private static int[] RequireTokenIds(JsonElement value, string source, int line)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw new DatasetFormatException(source, line, $"\"input_ids\" must be an array of integers, got {Describe(value.ValueKind)}");
        var ids = new int[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out ids[i]))
                throw new DatasetFormatException(source, line, $"\"input_ids\"[{i}] is not a 32-bit integer: {item.GetRawText()}");
            i++;
        }
        if (ids.Length < 2) throw new DatasetFormatException(source, line, $"\"input_ids\" needs at least 2 tokens, got {ids.Length}");
        return ids;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
