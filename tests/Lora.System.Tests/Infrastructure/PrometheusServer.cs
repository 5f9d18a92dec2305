using System.Diagnostics;
using System.Text.Json;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// A real Prometheus (Debian package binary) on a free loopback port, scraping the given targets every second,
/// with its TSDB in a temporary folder. Only its HTTP API is used: /api/v1/targets and /api/v1/query.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private readonly string _dir;

    private PrometheusServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }
    public string LogPath => Path.Combine(_dir, "prometheus.log");

    /// <param name="silo">The <c>silo</c> target label, attached the way deploy/prometheus/prometheus.yml does.</param>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<string> targets, string silo)
    {
        ExternalTool.Require("prometheus", "prometheus");
        var dir = Directory.CreateTempSubdirectory("lora-prometheus-").FullName;
        var port = FreePorts.One();
        var config = Path.Combine(dir, "prometheus.yml");
        // 1 s interval: the test waits for the first successful scrape, not for a production cadence.
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: lora-silo
                metrics_path: /metrics
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"\"{t}\""))}]
                    labels:
                      silo: "{silo}"
            """);
        // sh only redirects output to the log; exec keeps the prometheus pid the one we kill.
        var process = new Process { StartInfo = new ProcessStartInfo("sh") { UseShellExecute = false } };
        process.StartInfo.ArgumentList.Add("-c");
        process.StartInfo.ArgumentList.Add($"exec prometheus --config.file='{config}' --storage.tsdb.path='{dir}/tsdb' " +
                                           $"--web.listen-address=127.0.0.1:{port} > '{dir}/prometheus.log' 2>&1");
        try { await ChildProcesses.StartAsync(process); }   // dies with the test process, even when that is SIGKILLed
        catch
        {
            process.Dispose();
            Directory.Delete(dir, recursive: true);
            throw;
        }
        var server = new PrometheusServer(process, dir, port);
        try
        {
            await server.WaitReadyAsync(TestDeadline.For(TimeSpan.FromSeconds(60)));
            return server;
        }
        catch
        {
            await server.DisposeAsync();   // neither the process nor its folder outlives a failed start
            throw;
        }
    }

    private async Task WaitReadyAsync(Wait wait)
    {
        while (!wait.Expired)
        {
            if (_process.HasExited) throw new InvalidOperationException($"prometheus exited ({_process.ExitCode}): {File.ReadAllText(LogPath)}");
            try { if ((await Http.GetAsync($"http://127.0.0.1:{Port}/-/ready")).IsSuccessStatusCode) return; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new InvalidOperationException($"prometheus not ready within {wait}: {File.ReadAllText(LogPath)}");
    }

    /// <summary>Runs an instant PromQL query; a query Prometheus rejects fails the test with its error.</summary>
    public async Task<JsonElement> QueryAsync(string promQl) =>
        (await ApiAsync("/api/v1/query?query=" + Uri.EscapeDataString(promQl))).GetProperty("result");

    public async Task<JsonElement> ApiAsync(string pathAndQuery)
    {
        var body = await Http.GetStringAsync($"http://127.0.0.1:{Port}{pathAndQuery}");
        var root = JsonDocument.Parse(body).RootElement;
        Assert.True(root.GetProperty("status").GetString() == "success", $"prometheus {pathAndQuery}: {body}");
        return root.GetProperty("data");
    }

    public async ValueTask DisposeAsync()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }   // exited meanwhile
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
