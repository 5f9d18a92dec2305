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

    /// <summary>Starts (or restarts after <see cref="StopAsync"/>) the server on the same port and folder.</summary>
    public async Task StartAgainAsync()
    {
        var run = await ExternalTool.RunAsync(RepoPaths.Of("scripts", "start-redis.sh"), [$"{Port}", Dir]);
        Assert.True(run.ExitCode == 0, $"scripts/start-redis.sh {Port} failed ({run.ExitCode}): {run.Output}");
    }

    public async Task StopAsync()
    {
        await ExternalTool.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", $"{Port}", "shutdown"]);
        var pidFile = Path.Combine(Dir, $"redis-{Port}.pid");
        for (var i = 0; i < 50 && File.Exists(pidFile); i++) await Task.Delay(100);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
