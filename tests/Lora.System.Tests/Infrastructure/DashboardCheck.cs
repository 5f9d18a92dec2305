using System.Text.Json;
using Lora.Deploy.Tests.Monitoring;
using Xunit.Abstractions;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// Every metric the Grafana dashboard queries must exist in a live silo's exposition: a renamed metric otherwise
/// shows up only as an empty panel in production.
/// </summary>
internal static class DashboardCheck
{
    public static void AssertNamesExist(Exposition exposition, ITestOutputHelper output)
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("deploy", "grafana", "dashboards", "lora-cluster.json")));
        var exprs = new List<string>();
        Collect(dashboard.RootElement, exprs);
        Assert.NotEmpty(exprs);
        var names = exposition.SampleNames;
        var missing = exprs.SelectMany(PromQl.MetricNames).Distinct().Where(n => !names.Contains(n)).ToList();
        output.WriteLine($"dashboard: {exprs.Count} queries; missing metrics: {(missing.Count == 0 ? "none" : string.Join(", ", missing))}");
        Assert.True(missing.Count == 0, "dashboard queries metrics the silo does not export: " + string.Join(", ", missing));
    }

    /// <summary>
    /// Every panel query, with the variables set as Grafana sets them — "All" (the dashboard's allValue ".*"), then
    /// this silo and base model — is accepted by a real Prometheus and returns series while jobs train. A PromQL
    /// error, or a label the scrape does not attach, would otherwise show only as "No data" in production.
    /// </summary>
    public static async Task AssertQueriesAnswerAsync(PrometheusServer prometheus, string silo, string baseModel, ITestOutputHelper output)
    {
        var panels = Panels();
        Assert.NotEmpty(panels);
        foreach (var (siloValue, modelValue) in new[] { (".*", ".*"), (silo, baseModel) })
        {
            foreach (var (title, expr) in panels)
            {
                // Grafana's $__rate_interval is at least four scrape intervals; the test scrapes every second.
                var query = expr.Replace("$__rate_interval", "10s").Replace("$silo", siloValue).Replace("$base_model", modelValue);
                var wait = TestDeadline.For(TimeSpan.FromSeconds(30));
                var series = 0;
                while ((series = (await prometheus.QueryAsync(query)).GetArrayLength()) == 0 && !wait.Expired)
                    await Task.Delay(1000);
                Assert.True(series > 0, $"panel '{title}' has no data within {wait} with silo={siloValue}, base_model={modelValue}: {query}");
            }
        }
        output.WriteLine($"dashboard: {panels.Count} panel queries answered by prometheus, for All and for silo={silo}, base_model={baseModel}");
    }

    private static List<(string Title, string Expr)> Panels()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("deploy", "grafana", "dashboards", "lora-cluster.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()
                .Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!)))
            .ToList();
    }

    private static void Collect(JsonElement e, List<string> exprs)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Name == "expr" && p.Value.ValueKind == JsonValueKind.String) exprs.Add(p.Value.GetString()!);
                else Collect(p.Value, exprs);
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray()) Collect(item, exprs);
        }
    }
}
