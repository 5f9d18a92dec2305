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
