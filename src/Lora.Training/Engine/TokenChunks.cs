namespace Lora.Training.Engine;

/// <summary>Cuts a sequence of row groups into consecutive chunks whose padded size (rows × longest row) stays within
/// a token budget, so one forward's activations and logits (rows × T × V floats) stay bounded whatever seq_len is.</summary>
internal static class TokenChunks
{
    /// <summary>Chunks in input order; an item larger than the budget gets a chunk of its own.</summary>
    /// <param name="rows">Rows an item adds (an adapter's micro-batch, or 1 for an example).</param>
    /// <param name="length">Its longest row, in tokens.</param>
    /// <param name="maxRows">Cap on rows per chunk besides the token budget.</param>
    public static List<List<T>> Split<T>(IEnumerable<T> items, Func<T, int> rows, Func<T, int> length, long budgetTokens,
        int maxRows = int.MaxValue)
    {
        var chunks = new List<List<T>>();
        List<T>? current = null;
        long chunkRows = 0, chunkLength = 0;
        foreach (var item in items)
        {
            long r = chunkRows + rows(item), t = Math.Max(chunkLength, length(item));
            if (current is null || r > maxRows || r * t > budgetTokens)
            {
                chunks.Add(current = []);
                (r, t) = (rows(item), length(item));
            }
            current.Add(item);
            (chunkRows, chunkLength) = (r, t);
        }
        return chunks;
    }
}
