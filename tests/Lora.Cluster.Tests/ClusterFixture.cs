using Lora.Grains.Hosting;
using Lora.Training.Model;
using Lora.Training.Runtime;
using Orleans.TestingHost;

namespace Lora.Cluster.Tests;

/// <summary>
/// Two in-process silos that host DIFFERENT base models ("tiny-a" on Silo_0, "tiny-b" on Silo_1), each loaded once,
/// with memory job storage and in-memory reminders.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ModelA = "tiny-a";
    public const string ModelB = "tiny-b";
    private readonly string _root = Directory.CreateTempSubdirectory("lora-cluster-").FullName;
    private readonly Dictionary<string, SiloModelHost> _hosts = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;
    public IReadOnlyDictionary<string, SiloModelHost> Hosts => _hosts;

    public async Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        foreach (var (id, seed) in new[] { (ModelA, 1), (ModelB, 2) })
        {
            var dir = Path.Combine(_root, id);
            var config = new LlamaConfig { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
                IntermediateSize = 128, VocabSize = 260, MaxPositionEmbeddings = 64, BosTokenId = 256, EosTokenId = 257 };
            using (var model = LlamaForCausalLM.Create(config).InitializeRandom(seed)) BaseModel.Save(dir, model);
            _hosts[id] = SiloModelHost.Load(id, dir, "float32", "cpu");
        }
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((options, silo) =>
        {
            var host = _hosts[options.SiloName == "Silo_0" ? ModelA : ModelB];
            silo.UseInMemoryReminderService();
            silo.AddLoraGrains(host, JobStorage.Memory, Path.Combine(_root, "data", options.SiloName));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await WaitUntilEveryModelIsPlaceable();
    }

    /// <summary>Silo metadata propagates asynchronously after start; placement by model works once it has.</summary>
    private async Task WaitUntilEveryModelIsPlaceable()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        foreach (var model in new[] { ModelA, ModelB })
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await Client.GetGrain<Lora.Abstractions.IAdapterGrain>($"{model}/probe-{attempt}").GetStatus();
                    break;
                }
                catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(250); }
            }
        }
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        foreach (var h in _hosts.Values) h.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
