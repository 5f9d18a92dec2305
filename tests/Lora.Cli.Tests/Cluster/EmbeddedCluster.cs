using Lora.Cli.Commands.Demo;
using Lora.Client;

namespace Lora.Cli.Tests.Cluster;

/// <summary>One embedded silo with the built-in base for the cluster command tests, a connected SDK client, and a
/// small dataset file for it.</summary>
public sealed class EmbeddedCluster : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lora-cluster-cmd-").FullName;
    private EmbeddedSilo? _silo;

    public LoraClusterClient Client { get; private set; } = null!;
    public EmbeddedSilo Silo => _silo!;
    public string Root => _dir;
    public string DataFile => Path.Combine(_dir, "data.jsonl");
    public string Dataset { get; } = DemoTasks.Plan(1, null)[0].Jsonl;

    /// <summary>`lora` with the connection flags of this silo appended.</summary>
    public Task<CliRun> RunAsync(params string[] args) => CliRun.RunAsync(
        [.. args, "--gateway", Silo.Gateway, "--cluster-id", DemoSettings.ClusterId, "--service-id", DemoSettings.ServiceId]);

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(DataFile, Dataset);
        _silo = await EmbeddedSilo.StartAsync(0, 0, Path.Combine(_dir, "silo"), CancellationToken.None);
        Client = await LoraClusterClient.ConnectAsync(new LoraClientOptions
        {
            Gateway = _silo.Gateway, ClusterId = DemoSettings.ClusterId, ServiceId = DemoSettings.ServiceId,
        });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await Client.ListModelsAsync()).Any(m => m.Id == DemoSettings.BaseModelId))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the embedded silo never registered its model");
            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        if (Client is not null) await Client.DisposeAsync();
        if (_silo is not null) await _silo.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedClusterCollection : ICollectionFixture<EmbeddedCluster>
{
    public const string Name = "embedded cluster";
}
