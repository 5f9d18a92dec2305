namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// A private redis-server on a free loopback port, started by scripts/start-redis.sh (the same script operators
/// use), with its files in a temporary folder. <see cref="StopAsync"/> + <see cref="StartAgainAsync"/> on the same
/// port is "Redis went away and came back": the script's append-only file brings the data back with it.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private RedisServer(int port, string dir)
    {
        Port = port;
        Dir = dir;
    }

    public int Port { get; }
    public string Dir { get; }
    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        ExternalTool.Require("redis-server", "redis-server");
        var server = new RedisServer(FreePorts.One(), Directory.CreateTempSubdirectory("lora-redis-").FullName);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (or restarts after <see cref="StopAsync"/>) the server on the same port and folder. The
    /// daemon has left this process's tree, so its pid is recorded for .ci/run's cleanup (<see cref="ChildProcesses"/>).</summary>
    public async Task StartAgainAsync()
    {
        var run = await ExternalTool.RunAsync(RepoPaths.Of("scripts", "start-redis.sh"), [$"{Port}", Dir]);
        if (await PidAsync() is int pid) ChildProcesses.Record(pid);
        Assert.True(run.ExitCode == 0, $"scripts/start-redis.sh {Port} failed ({run.ExitCode}): {run.Output}");
    }

    /// <summary>Shuts the server down and returns once its process is gone (a restart on the same port and folder
    /// must not race the old server's exit); fails, with the shutdown's output and the server's log, after 30 s (less
    /// if the test's deadline comes first).</summary>
    public Task StopAsync() => StopWithinAsync(() => TestDeadline.For(TimeSpan.FromSeconds(30)));

    private async Task StopWithinAsync(Func<Wait> wait)
    {
        // Before the shutdown: Redis deletes its pid file as it exits (but not when SIGKILLed, so a stale file names
        // a dead process, which counts as gone).
        var pid = await PidAsync();
        var shutdown = await ExternalTool.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", $"{Port}", "shutdown"], wait: wait());
        if (pid is not int id) return;
        var exit = wait();
        while (IsAlive(id))
        {
            if (exit.Expired)
            {
                try { Signals.Send(id, Signals.SigKill); } catch (InvalidOperationException) { }   // left no server behind
                Assert.Fail($"redis-server (pid {id}, port {Port}) still running {exit} after `redis-cli shutdown` " +
                    $"(exit {shutdown.ExitCode}: {shutdown.Output.Trim()}); SIGKILLed it. Log:\n{LogTail()}");
            }
            await Task.Delay(100);
        }
    }

    private async Task<int?> PidAsync()
    {
        var pidFile = Path.Combine(Dir, $"redis-{Port}.pid");
        try { return int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid) ? pid : null; }
        catch (IOException) { return null; }   // FileNotFoundException included
    }

    /// <summary>A zombie (exited, not yet reaped by whoever adopted the daemon) counts as gone: it holds no port or file.</summary>
    private static bool IsAlive(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        var state = stat.LastIndexOf(')') is var end and >= 0 && end + 2 < stat.Length ? stat[end + 2] : '?';
        return state is not ('Z' or 'X');
    }

    private string LogTail()
    {
        var log = Path.Combine(Dir, $"redis-{Port}.log");
        try { return string.Join("\n", File.ReadLines(log).TakeLast(20)); }
        catch (IOException e) { return $"({log}: {e.Message})"; }
    }

    public async ValueTask DisposeAsync()
    {
        // Cleanup only: a failure here must not replace the test's own (StopAsync has SIGKILLed a server that hung).
        // Its own short limits: it also runs after a test that used up its deadline.
        try { await StopWithinAsync(() => Wait.Fixed(TimeSpan.FromSeconds(15))); }
        catch (Exception e) when (e is Xunit.Sdk.XunitException or TimeoutException) { }
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
