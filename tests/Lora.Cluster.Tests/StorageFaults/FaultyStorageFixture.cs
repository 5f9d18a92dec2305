using Lora.Grains.Hosting;
using Lora.Grains.Jobs;
using Lora.Grains.Storage;
using Lora.Training.Model;
using Lora.Training.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>One silo hosting <see cref="Model"/> whose job storage is file storage behind <see cref="FaultInjectingStorage"/>.</summary>
public sealed class FaultyStorageFixture : IAsyncLifetime
{
    public const string Model = "tiny-faults";
    private readonly string _root = Directory.CreateTempSubdirectory("lora-faults-").FullName;
    private SiloModelHost _host = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>Where the silo's file storage keeps grain state.</summary>
    public string GrainsDir => Path.Combine(_root, "data", "grains");

    /// <summary>The file holding a grain's state of the given name.</summary>
    public string StateFile(string stateName, GrainId grainId) => Path.Combine(GrainsDir, stateName, FileGrainStorage.FileNameOf(grainId));

    /// <summary>The silo's reminder table (behind <see cref="FaultInjectingReminders"/>).</summary>
    public IReminderTable Reminders => Cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();

    public async Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        var dir = Path.Combine(_root, Model);
        var config = new LlamaConfig { HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
            IntermediateSize = 128, VocabSize = 260, MaxPositionEmbeddings = 64, BosTokenId = 256, EosTokenId = 257 };
        using (var model = LlamaForCausalLM.Create(config).InitializeRandom(3)) BaseModel.Save(dir, model);
        _host = SiloModelHost.Load(Model, dir, "float32", "cpu");
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseInMemoryReminderService();
            var reminders = silo.Services.Last(d => d.ServiceType == typeof(IReminderTable));
            silo.Services.AddSingleton<IReminderTable>(sp => new FaultInjectingReminders((IReminderTable)(reminders.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.GetServiceOrCreateInstance(sp, reminders.ImplementationType!))));
            silo.AddLoraGrains(_host, JobStorage.External, Path.Combine(_root, "data"));
            silo.Services.AddKeyedSingleton<IGrainStorage>(AdapterGrain.StorageName, (sp, _) => new FaultInjectingStorage(
                new FileGrainStorage(GrainsDir, new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>()))));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        for (var attempt = 0; ; attempt++)
        {
            try { await Cluster.Client.GetGrain<Lora.Abstractions.IAdapterGrain>($"{Model}/probe-{attempt}").GetStatus(); break; }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(250); }
        }
    }

    public async Task DisposeAsync()
    {
        FaultInjectingStorage.Decide = null;
        FaultInjectingReminders.FailUpsert = null;
        await Cluster.DisposeAsync();
        _host.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
