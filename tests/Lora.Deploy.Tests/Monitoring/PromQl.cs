using System.Text.RegularExpressions;

namespace Lora.Deploy.Tests.Monitoring;

/// <summary>
/// Just enough PromQL lexing to list the metric names an expression reads: drop label matchers, ranges,
/// grouping clauses and strings, then every remaining identifier that is not a function or keyword is a metric.
/// </summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords =
    [
        "sum", "avg", "min", "max", "count", "topk", "bottomk", "quantile", "stddev", "by", "without", "on", "ignoring",
        "group_left", "group_right", "and", "or", "unless", "offset", "bool", "rate", "irate", "increase", "delta",
        "histogram_quantile", "label_values", "label_replace", "clamp_min", "clamp_max", "abs", "vector", "scalar",
        "time", "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "deriv", "predict_linear",
    ];

    public static IReadOnlyList<string> MetricNames(string expr)
    {
        // Grafana's label_values(metric, label): the second argument is a label, not a metric.
        var text = LabelValues().Replace(expr, "$1");
        text = Strings().Replace(text, " ");
        text = Matchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        text = Variables().Replace(text, " ");
        return Identifiers().Matches(text).Select(m => m.Value)
            .Where(id => !Keywords.Contains(id) && !double.TryParse(id, out _))
            .Distinct().ToList();
    }

    [GeneratedRegex(@"label_values\(([^,()]*(?:\{[^}]*\})?)\s*,[^)]*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex Variables();

    [GeneratedRegex(@"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b")]
    private static partial Regex Identifiers();
}
