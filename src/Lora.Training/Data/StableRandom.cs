namespace Lora.Training.Data;

/// <summary>
/// SplitMix64. System.Random's sequence for a seed is not a documented contract across .NET versions;
/// splits and shuffles must stay identical for a resumed checkpoint, so the algorithm is fixed here.
/// </summary>
internal sealed class StableRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, exclusiveMax) by rejection, so no index is favoured.</summary>
    public int NextInt(int exclusiveMax)
    {
        var bound = (ulong)exclusiveMax;
        var limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>A Fisher–Yates permutation of 0..count-1.</summary>
    public static int[] Permutation(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var rng = new StableRandom(seed);
        for (var i = count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
