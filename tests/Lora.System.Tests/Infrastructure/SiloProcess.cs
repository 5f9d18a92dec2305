using System.Diagnostics;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// One real silo: `dotnet Lora.Silo.dll` on free ports, output captured to a log file that failure messages quote.
/// Started ready (/health 200), as a child that dies with the test process (<see cref="ChildProcesses"/>). Dispose
/// kills it; <see cref="Kill"/> is the crash (SIGKILL) and <see cref="StopAsync"/> the orderly shutdown (SIGTERM) of
/// the durability tests.
/// </summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private readonly StreamWriter _log;

    private SiloProcess(string name, Process process, StreamWriter log, string logPath, int[] ports, string dataDir)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        (SiloPort, GatewayPort, HttpPort) = (ports[0], ports[1], ports[2]);
        DataDir = dataDir;
    }

    public string Name { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public string DataDir { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string BaseUrl => $"http://127.0.0.1:{HttpPort}";
    public string Gateway => $"127.0.0.1:{GatewayPort}";

    /// <summary>Starts a silo hosting the built-in model with <paramref name="extraArgs"/> on top of the defaults.</summary>
    public static async Task<SiloProcess> StartAsync(string name, string dataDir, IEnumerable<string>? extraArgs = null, TimeSpan? timeout = null)
    {
        Directory.CreateDirectory(dataDir);
        var ports = FreePorts.Take(3);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        info.ArgumentList.Add(RepoPaths.SiloDll);
        string[] args = ["--silo-port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--http-port", $"{ports[2]}",
            "--data-dir", dataDir, "--base-model-path", RepoPaths.BuiltInModel, "--dashboard", "false", .. extraArgs ?? []];
        foreach (var a in args) info.ArgumentList.Add(a);
        // The environment of the test runner must not leak into the silo's options (LORA_* would override defaults).
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("LORA_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);

        var logPath = Path.Combine(dataDir, $"{name}-{DateTime.UtcNow:HHmmss.fff}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        await ChildProcesses.StartAsync(process);   // dies with the test process, even when that is SIGKILLed
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var silo = new SiloProcess(name, process, log, logPath, ports, dataDir);
        try
        {
            await silo.WaitHealthyAsync(TestDeadline.For(timeout ?? TimeSpan.FromSeconds(90)));
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log) { try { log.WriteLine(line); } catch (ObjectDisposedException) { } }
    }

    private async Task WaitHealthyAsync(Wait wait)
    {
        while (!wait.Expired)
        {
            if (_process.HasExited) throw Failure($"exited with code {_process.ExitCode} before becoming healthy");
            if (await IsHealthyAsync()) return;
            await Task.Delay(250);
        }
        throw Failure($"not healthy within {wait}");
    }

    public async Task<bool> IsHealthyAsync()
    {
        try { return (await Http.GetAsync($"{BaseUrl}/health")).IsSuccessStatusCode; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
    }

    public async Task<string> ScrapeAsync()
    {
        using var response = await Http.GetAsync($"{BaseUrl}/metrics");
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? body : throw Failure($"/metrics answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>A crash: SIGKILL, no shutdown hooks, no last checkpoint.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>An orderly stop (SIGTERM, as Kubernetes sends): the host runs its shutdown, grains deactivate.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return;
        var wait = TestDeadline.For(timeout);
        Signals.Send(_process.Id, Signals.SigTerm);
        using var cts = new CancellationTokenSource(wait.Remaining);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw Failure($"did not exit within {wait} of SIGTERM"); }
    }

    /// <summary>The last lines of the silo's output: what a failing assertion needs to be diagnosable.</summary>
    public string LogTail(int lines = 60)
    {
        string[] all;
        lock (_log) all = File.ReadAllLines(LogPath);
        return string.Join('\n', all.TakeLast(lines));
    }

    public Exception Failure(string what) =>
        new InvalidOperationException($"silo {Name} (pid {_process.Id}, http {HttpPort}) {what}. Log {LogPath}:\n{LogTail()}");

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.Yield();
        _process.Dispose();
        lock (_log) _log.Dispose();
    }
}
