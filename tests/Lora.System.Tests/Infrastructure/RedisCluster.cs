using Lora.Client;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// The cluster profile for real: a private Redis plus silo processes that use it for membership, grain storage
/// and reminders. Ids are unique per instance so nothing in Redis is shared with another test.
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    private readonly List<SiloProcess> _silos = [];

    private RedisCluster(RedisServer redis, string root)
    {
        Redis = redis;
        Root = root;
        var id = Guid.NewGuid().ToString("N")[..8];
        ClusterId = $"sys-{id}";
        ServiceId = $"sys-svc-{id}";
    }

    public RedisServer Redis { get; }
    public string Root { get; }
    public string ClusterId { get; }
    public string ServiceId { get; }
    public IReadOnlyList<SiloProcess> Silos => _silos;

    public string[] SiloArgs =>
    [
        "--clustering", "redis", "--storage", "redis", "--reminders", "redis", "--redis", Redis.Endpoint,
        "--cluster-id", ClusterId, "--service-id", ServiceId, "--shutdown-timeout-seconds", "20",
    ];

    public static async Task<RedisCluster> StartAsync(int silos)
    {
        var cluster = new RedisCluster(await RedisServer.StartAsync(), Directory.CreateTempSubdirectory("lora-sys-").FullName);
        try
        {
            // Concurrent starts: each silo spends most of its start loading the base model.
            await Task.WhenAll(Enumerable.Range(0, silos).Select(i => cluster.AddSiloAsync($"silo{i}")));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<SiloProcess> AddSiloAsync(string name)
    {
        var silo = await SiloProcess.StartAsync(name, Path.Combine(Root, name), SiloArgs);
        lock (_silos) _silos.Add(silo);
        return silo;
    }

    /// <summary>The SDK through Redis membership (the CLI's --redis): gateways are discovered, and a dead one is dropped.</summary>
    public Task<LoraClusterClient> ConnectAsync() => LoraClusterClient.ConnectAsync(new LoraClientOptions
    {
        Redis = Redis.Endpoint, ClusterId = ClusterId, ServiceId = ServiceId, ConnectAttempts = 10,
    });

    public Task<OrleansProbe> ProbeAsync() => OrleansProbe.ConnectAsync(Redis.Endpoint, ClusterId, ServiceId);

    /// <summary>
    /// Waits until every silo has registered its model with the registry: only then can placement choose among
    /// all of them (jobs submitted earlier all land on whichever silo was up first).
    /// </summary>
    public async Task WaitForSilosAsync(Lora.Client.LoraClusterClient client, int count)
    {
        var wait = TestDeadline.For(TimeSpan.FromSeconds(60));
        while ((await client.ListModelsAsync()).Count < count)
        {
            Assert.False(wait.Expired, $"fewer than {count} silos registered a model within {wait}:\n{Logs()}");
            await Task.Delay(500);
        }
    }

    /// <summary>Log tails of every silo, for assertion messages.</summary>
    public string Logs() => string.Join("\n\n", _silos.Select(s => $"=== {s.Name} ===\n{s.LogTail(40)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _silos) await s.DisposeAsync();
        await Redis.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
