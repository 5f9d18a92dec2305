namespace Lora.Bench;

public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static double Round(double value, int digits = 3) =>
        double.IsFinite(value) ? Math.Round(value, digits) : double.NaN;
}
