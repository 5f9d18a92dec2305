namespace Lora.Training.Data;

/// <summary>
/// Deterministic batch sampler: each epoch visits every example once in an order fixed by (seed, epoch),
/// so a cursor rebuilt from a saved <see cref="CursorPosition"/> yields exactly the batches the original
/// would have. Batches run across epoch boundaries to stay full. Not thread-safe: one cursor per training job.
/// </summary>
public sealed class DataCursor
{
    private readonly IReadOnlyList<TrainingExample> _examples;
    private readonly long _seed;
    private int[] _order;
    private int _orderEpoch;

    public DataCursor(IReadOnlyList<TrainingExample> examples, long seed, CursorPosition start = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("a data cursor needs at least one example.", nameof(examples));
        if (start.Epoch < 0 || start.Index < 0 || start.Index > examples.Count)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"position outside 0..{examples.Count} of a non-negative epoch.");
        _examples = examples;
        _seed = seed;
        Position = start;
        _orderEpoch = start.Epoch;
        _order = OrderFor(start.Epoch);
    }

    public CursorPosition Position { get; private set; }
    public int Count => _examples.Count;

    /// <summary>The visiting order of one epoch; a pure function of (seed, epoch, count).</summary>
    public int[] OrderFor(int epoch) =>
        StableRandom.Permutation(_examples.Count, (ulong)_seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)epoch * 0xD1B54A32D192ED03UL);

    /// <summary>Loss tokens of the next <paramref name="batches"/> batches, without moving this cursor.</summary>
    public int PeekLossTokens(int batchSize, int batches)
    {
        var (tokens, at) = (0, Position);
        for (var b = 0; b < batches; b++)
        {
            var (examples, next) = Take(at, batchSize);
            tokens += examples.Sum(e => e.LossTokens);
            at = next;
        }
        return tokens;
    }

    public DataBatch NextBatch(int batchSize)
    {
        var start = Position;
        var (batch, next) = Take(start, batchSize);
        Position = next;
        return new DataBatch(batch, start, next);
    }

    /// <summary>The batch that starts at <paramref name="from"/> and where the next one starts. Only the cached
    /// epoch order changes (a pure function of the epoch), so peeking ahead costs no permutation rebuild.</summary>
    private (TrainingExample[] Batch, CursorPosition Next) Take(CursorPosition from, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batch = new TrainingExample[batchSize];
        var (epoch, index) = (from.Epoch, from.Index);
        for (var i = 0; i < batchSize; i++)
        {
            if (index == _examples.Count) (epoch, index) = (checked(epoch + 1), 0);
            if (epoch != _orderEpoch) (_order, _orderEpoch) = (OrderFor(epoch), epoch);
            batch[i] = _examples[_order[index++]];
        }
        // Normalise "end of epoch e" to "start of epoch e+1" so equal positions always compare equal.
        if (index == _examples.Count) (epoch, index) = (checked(epoch + 1), 0);
        return (batch, new CursorPosition(epoch, index));
    }
}
