namespace Lora.Grains.Jobs;

/// <summary>
/// The chunks of one job's JSONL dataset, staged in the grain until Submit. Bounds what one job may upload: the
/// dataset is persisted with the job record (Redis value, state file), so an unbounded upload would become an
/// unbounded write — it is refused at the chunk that crosses the limit, before anything is stored.
/// </summary>
/// <param name="maxChunkChars">Per chunk: far above the SDK's 1 MiB chunks, far below Orleans' message size limit.</param>
/// <param name="maxDatasetChars">Whole dataset (UTF-16 chars): LoRA datasets are small; corpora belong in a data store.</param>
public sealed class DatasetUploadBuffer(int maxChunkChars = DatasetUploadBuffer.DefaultMaxChunkChars,
    long maxDatasetChars = DatasetUploadBuffer.DefaultMaxDatasetChars)
{
    public const int DefaultMaxChunkChars = 8 << 20;
    public const long DefaultMaxDatasetChars = 256L << 20;

    private readonly Dictionary<int, string> _chunks = new();
    private int _expected;
    private long _chars;

    public void Add(int index, int total, string? text)
    {
        if (total < 1 || index < 0 || index >= total)
            throw new ArgumentException($"dataset chunk index {index} is outside 0..{total - 1}.");
        // Chunk 0 with another count is a client starting over (e.g. after a failed Submit): drop the old upload.
        if (_chunks.Count > 0 && total != _expected && index == 0) Clear();
        if (_chunks.Count > 0 && total != _expected)
            throw new ArgumentException($"dataset chunk {index} says {total} chunks in all, earlier chunks said {_expected}.");
        ArgumentNullException.ThrowIfNull(text, "dataset chunk text");
        if (text.Length > maxChunkChars)
            throw new ArgumentException($"dataset chunk {index} has {text.Length} characters; the limit per chunk is {maxChunkChars} (split the upload; the SDK sends 1 MiB chunks).");
        var chars = _chars - (_chunks.TryGetValue(index, out var previous) ? previous.Length : 0) + text.Length;
        if (chars > maxDatasetChars)
        {
            Clear();
            throw new ArgumentException($"dataset exceeds the limit of {maxDatasetChars} characters at chunk {index} of {total}; nothing of this upload is kept.");
        }
        _chunks[index] = text;
        _expected = total;
        _chars = chars;
    }

    /// <summary>The uploaded dataset, or "" when nothing was uploaded; an incomplete upload names its missing chunks.</summary>
    public string Assemble()
    {
        if (_chunks.Count == 0) return "";
        var missing = Enumerable.Range(0, _expected).Where(i => !_chunks.ContainsKey(i)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException($"dataset upload incomplete: chunks {string.Join(", ", missing.Take(10))} of {_expected} are missing.");
        return string.Concat(Enumerable.Range(0, _expected).Select(i => _chunks[i]));
    }

    public void Clear()
    {
        _chunks.Clear();
        _chars = 0;
    }
}
