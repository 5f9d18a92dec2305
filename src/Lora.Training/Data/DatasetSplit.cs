namespace Lora.Training.Data;

/// <summary>A deterministic train/eval partition: the same seed and fraction always give the same split.</summary>
public static class DatasetSplit
{
    // Distinct from the sampler's stream, so changing the split seed does not correlate with batch order.
    private const ulong SplitSalt = 0x5EED_5EED_0000_0001UL;

    /// <summary>
    /// Eval gets round(n × fraction) items, at least 1 when fraction &gt; 0 and n ≥ 2, and never all of them
    /// (training needs data). Each part keeps the original relative order.
    /// </summary>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Eval) Split<T>(IReadOnlyList<T> items, double evalFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (!(evalFraction >= 0 && evalFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(evalFraction), evalFraction, "eval fraction must be in [0, 1).");
        var n = items.Count;
        var evalCount = evalFraction == 0 || n < 2 ? 0 : Math.Clamp((int)Math.Round(n * evalFraction), 1, n - 1);
        var evalIndices = StableRandom.Permutation(n, (ulong)seed ^ SplitSalt).Take(evalCount).ToHashSet();
        var train = new List<T>(n - evalCount);
        var eval = new List<T>(evalCount);
        for (var i = 0; i < n; i++) (evalIndices.Contains(i) ? eval : train).Add(items[i]);
        return (train, eval);
    }
}
