namespace Lora.Bench;

public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>numerators[i] / denominators[i]: each repetition runs the modes side by side, so a ratio within one
    /// repetition compares one moment of a noisy machine, while a ratio of two medians can pair different moments.</summary>
    public static double[] PairedRatios(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators) =>
        numerators.Zip(denominators, (n, d) => n / d).ToArray();

    public static double Round(double value, int digits = 3) =>
        double.IsFinite(value) ? Math.Round(value, digits) : double.NaN;
}
