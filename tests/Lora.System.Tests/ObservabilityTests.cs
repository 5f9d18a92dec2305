using System.Globalization;
using Lora.Client;
using Lora.System.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Lora.System.Tests;

/// <summary>
/// The metrics contract against a real silo process: names, types and movement of the product's metrics while
/// jobs train, promtool's verdict on the exposition, and a real Prometheus scraping it.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class ObservabilityTests(ITestOutputHelper output) : SystemTest, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("lora-obs-").FullName;
    private SiloProcess _silo = null!;

    public static readonly (string Name, string Type)[] Contract =
    [
        ("lora_training_steps_total", "counter"), ("lora_training_tokens_total", "counter"),
        ("lora_step_duration_seconds", "histogram"), ("lora_fused_adapters_per_step", "histogram"),
        ("lora_checkpoint_duration_seconds", "histogram"), ("lora_jobs_failed_total", "counter"),
        ("lora_active_adapters", "gauge"), ("lora_jobs", "gauge"), ("lora_base_model_bytes", "gauge"),
        ("lora_adapter_state_bytes", "gauge"),
    ];

    public async Task InitializeAsync() => _silo = await SiloProcess.StartAsync("obs", Path.Combine(_root, "silo"));

    [Fact]
    public async Task Metrics_follow_the_contract_pass_promtool_and_are_scraped_by_prometheus()
    {
        await using var client = await LoraClusterClient.ConnectAsync(new LoraClientOptions { Gateway = _silo.Gateway });
        var data = TestJobs.ReverseDataset();
        var jobs = new[]
        {
            // Long enough to still be training at both scrapes however fast the engine gets (60 steps once took
            // seconds; with fused passes they were done before the first scrape). The silo is killed at the end.
            TestJobs.Spec("obs-a", steps: 5000, checkpointEvery: 5),
            TestJobs.Spec("obs-b", steps: 5000, checkpointEvery: 5, seed: 2),
            // lr 1e6 drives the loss non-finite within a few steps: the failure path must be counted, by reason.
            TestJobs.Spec("obs-nan", steps: 60, lr: 1e6),
        };
        await client.StartManyAsync(jobs.Select(j => (j, data)));

        var first = await ScrapeWhenAsync(client, "obs-a", step => step >= 10);
        var second = await ScrapeWhenAsync(client, "obs-a", step => step >= 25);

        foreach (var (name, type) in Contract)
        {
            Assert.True(second.Types.TryGetValue(name.EndsWith("_total") ? name[..^6] : name, out var declared)
                        || second.Types.TryGetValue(name, out declared), $"{name} not declared in:\n{second.Text}");
            Assert.Equal(type, declared);
            Assert.True(second.Has(type == "histogram" ? name + "_bucket" : name), $"{name} has no samples");
        }
        Assert.Contains(second.SampleNames, n => n.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Contains(second.SampleNames, n => n.StartsWith("dotnet_", StringComparison.Ordinal));
        Assert.Contains(second.SampleNames, n => n.StartsWith("process_", StringComparison.Ordinal));

        // Counters and histogram counts moved between scrapes while the jobs trained.
        foreach (var name in new[] { "lora_training_steps_total", "lora_training_tokens_total", "lora_step_duration_seconds_count", "lora_checkpoint_duration_seconds_count" })
            Assert.True(second.Sum(name) > first.Sum(name), $"{name}: {first.Sum(name)} then {second.Sum(name)}");
        Assert.Equal(1, second.Sum("lora_jobs_failed_total", ("reason", "non_finite_loss")));
        Assert.Equal(1, second.Sum("lora_jobs", ("state", "Failed")));
        Assert.True(second.Sum("lora_jobs", ("state", "Running")) >= 1, "no running job counted");
        Assert.True(second.Sum("lora_base_model_bytes") > 1_000_000, "base model bytes implausible");
        // Buckets in seconds: the tiny model's passes take milliseconds, so they land well below 0.5 s (with
        // OpenTelemetry's millisecond-sized defaults every pass fell into le="5" and the percentiles meant nothing).
        Assert.True(second.Sum("lora_step_duration_seconds_bucket", ("le", "0.5")) > 0, "no pass below 0.5 s: buckets too coarse");
        Assert.True(second.Sum("lora_fused_adapters_per_step_bucket", ("le", "2")) > 0, "no pass of at most 2 adapters counted");
        Assert.True(second.Sum("lora_active_adapters") >= 1, "no active adapter while training");
        Assert.True(second.Sum("lora_adapter_state_bytes") > 0, "adapter state bytes zero while training");

        await AssertPromtoolAcceptsAsync(second.Text);
        await AssertPrometheusScrapesAsync();
        DashboardCheck.AssertNamesExist(second, output);

        var failed = await client.GetStatusAsync("obs-nan");
        // The engine names whichever went non-finite first, the loss or the gradient.
        Assert.Equal(Lora.Abstractions.JobState.Failed, failed.State);
        Assert.Matches("NaN|infinite|non-finite", failed.Error ?? "");
    }

    private async Task<Exposition> ScrapeWhenAsync(LoraClusterClient client, string jobId, Func<int, bool> ready)
    {
        var wait = TestDeadline.For(TimeSpan.FromMinutes(2));
        while (!ready((await client.GetStatusAsync(jobId)).Step))
        {
            Assert.False(wait.Expired, $"{jobId} made no progress within {wait}: {_silo.LogTail()}");
            await Task.Delay(200);
        }
        return Exposition.Parse(await _silo.ScrapeAsync());
    }

    /// <summary>
    /// The whole exposition must parse; the product's own families must also be lint-clean. Findings on Orleans
    /// and .NET runtime families (milliseconds units, missing HELP, "_count" gauges) are upstream names that
    /// dashboards everywhere use, so they are printed, not renamed.
    /// </summary>
    private async Task AssertPromtoolAcceptsAsync(string text)
    {
        var all = await Promtool.CheckMetricsAsync(text);
        Assert.True(all.Parsed, $"promtool could not parse the exposition ({all.ExitCode}): {all.Output}");
        var ours = all.Findings.Where(f => f.StartsWith("lora_", StringComparison.Ordinal)).ToList();
        Assert.True(ours.Count == 0, "promtool findings on lora_ metrics:\n" + string.Join('\n', ours));
        output.WriteLine($"promtool: {all.Findings.Count} upstream findings (Orleans/.NET names):\n{string.Join('\n', all.Findings)}");

        var lora = string.Join('\n', text.Split('\n').Where(l =>
            l.StartsWith("lora_", StringComparison.Ordinal) || l.StartsWith("# HELP lora_", StringComparison.Ordinal)
            || l.StartsWith("# TYPE lora_", StringComparison.Ordinal))) + "\n";
        var clean = await Promtool.CheckMetricsAsync(lora);
        Assert.True(clean.ExitCode == 0, $"promtool on lora_ families ({clean.ExitCode}): {clean.Output}");
    }

    private async Task AssertPrometheusScrapesAsync()
    {
        await using var prometheus = await PrometheusServer.StartAsync([$"127.0.0.1:{_silo.HttpPort}"], _silo.Name);
        var wait = TestDeadline.For(TimeSpan.FromSeconds(60));
        string health = "", lastError = "";
        while (health != "up")
        {
            Assert.False(wait.Expired, $"prometheus target not up within {wait}: health '{health}', error '{lastError}'\n{File.ReadAllText(prometheus.LogPath)}");
            await Task.Delay(500);
            var targets = (await prometheus.ApiAsync("/api/v1/targets")).GetProperty("activeTargets");
            if (targets.GetArrayLength() == 0) continue;
            health = targets[0].GetProperty("health").GetString()!;
            lastError = targets[0].GetProperty("lastError").GetString()!;
        }
        var baseModel = "";
        for (var result = 0; result == 0;)
        {
            Assert.False(wait.Expired, $"prometheus has no lora_training_steps_total sample within {wait}");
            var series = await prometheus.QueryAsync("lora_training_steps_total");
            result = series.GetArrayLength();
            if (result > 0)
            {
                var value = double.Parse(series[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                Assert.True(value > 0, $"lora_training_steps_total = {value} in prometheus");
                baseModel = series[0].GetProperty("metric").GetProperty("base_model").GetString()!;
            }
            else await Task.Delay(500);
        }
        await DashboardCheck.AssertQueriesAnswerAsync(prometheus, _silo.Name, baseModel, output);
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
