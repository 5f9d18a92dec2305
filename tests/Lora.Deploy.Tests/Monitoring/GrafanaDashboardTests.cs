using System.Text.Json.Nodes;
using Lora.Deploy.Tests.Support;

namespace Lora.Deploy.Tests.Monitoring;

public sealed class GrafanaDashboardTests
{
    private readonly JsonObject _dashboard =
        JsonNode.Parse(RepoPaths.Read("deploy", "grafana", "dashboards", "lora-cluster.json"))!.AsObject();

    private IEnumerable<JsonObject> Panels => _dashboard["panels"]!.AsArray().Select(p => p!.AsObject());

    private IEnumerable<string> Expressions =>
        Panels.SelectMany(p => p["targets"]!.AsArray()).Select(t => (string)t!["expr"]!)
            .Concat(_dashboard["templating"]!["list"]!.AsArray()
                .Where(v => (string)v!["type"]! == "query").Select(v => (string)v!["query"]!));

    [Fact]
    public void Every_expression_reads_only_contract_orleans_or_runtime_metrics()
    {
        Assert.All(Expressions, expr =>
        {
            var names = PromQl.MetricNames(expr);
            Assert.NotEmpty(names);
            Assert.All(names, n => Assert.True(MetricsContract.IsKnown(n), $"'{n}' in `{expr}` is not in the metrics contract"));
        });
    }

    [Fact]
    public void The_lexer_finds_metric_names_and_ignores_labels_and_functions()
    {
        var names = PromQl.MetricNames(
            "histogram_quantile(0.95, sum by (le, base_model) (rate(lora_step_duration_seconds_bucket{state=\"Queued\"}[$__rate_interval])))");
        Assert.Equal(["lora_step_duration_seconds_bucket"], names);
    }

    [Fact]
    public void Dashboard_covers_throughput_queue_latency_states_failures_memory_and_activations()
    {
        var all = string.Join('\n', Expressions);
        Assert.Contains("sum by (base_model, silo) (rate(lora_training_tokens_total", all);
        Assert.Contains("lora_jobs{state=\"Queued\"", all);
        foreach (var q in new[] { "0.5", "0.95", "0.99" })
        {
            Assert.Contains($"histogram_quantile({q}, sum by (le, base_model) (rate(lora_step_duration_seconds_bucket", all);
        }

        Assert.Contains("sum by (state) (lora_jobs", all);
        Assert.Contains("sum by (reason) (increase(lora_jobs_failed_total", all);
        Assert.Contains("process_memory_usage_bytes", all);
        Assert.Contains("orleans_catalog_activations", all);
    }

    [Fact]
    public void Panels_use_the_provisioned_datasource_and_do_not_overlap()
    {
        var datasource = Yaml.LoadMapping("deploy", "grafana", "provisioning", "datasources", "prometheus.yml");
        Assert.Equal("prometheus", datasource.Seq("datasources")[0].Str("uid"));
        Assert.Equal("prometheus", (string)_dashboard["templating"]!["list"]![0]!["current"]!["value"]!);
        Assert.Equal("lora-cluster", (string)_dashboard["uid"]!);

        var cells = new HashSet<(int, int)>();
        foreach (var panel in Panels)
        {
            var g = panel["gridPos"]!;
            for (var x = (int)g["x"]!; x < (int)g["x"]! + (int)g["w"]!; x++)
            {
                for (var y = (int)g["y"]!; y < (int)g["y"]! + (int)g["h"]!; y++)
                {
                    Assert.True(cells.Add((x, y)), $"panel '{panel["title"]}' overlaps another at {x},{y}");
                }
            }
        }
    }
}
