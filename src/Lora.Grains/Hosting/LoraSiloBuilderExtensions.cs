using Lora.Grains.Jobs;
using Lora.Grains.Placement;
using Lora.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Storage;

namespace Lora.Grains.Hosting;

/// <summary>Where adapter grains keep their state.</summary>
public enum JobStorage
{
    Files,
    Memory,
    /// <summary>The host registers a provider named <see cref="AdapterGrain.StorageName"/> itself (e.g. Redis).</summary>
    External,
}

public static class LoraSiloBuilderExtensions
{
    /// <summary>
    /// Adds LoraCluster's grains to a silo that hosts <paramref name="host"/>: publishes the base-model id as silo
    /// metadata for placement, registers the placement filter, job storage, metrics and model registration.
    /// Clustering and reminders are the host's choice.
    /// </summary>
    public static ISiloBuilder AddLoraGrains(this ISiloBuilder silo, SiloModelHost host, JobStorage storage, string dataDir)
    {
        silo.UseSiloMetadata(new Dictionary<string, string> { [SiloModelMetadata.BaseModelKey] = host.BaseModelId });
        silo.Services.AddSingleton(host);
        silo.Services.AddHostedService<ModelRegistration>();
        silo.Services.AddPlacementFilter<BaseModelPlacementFilterStrategy, BaseModelPlacementFilterDirector>(ServiceLifetime.Transient);
        switch (storage)
        {
            case JobStorage.Files:
                var root = Path.Combine(Path.GetFullPath(dataDir), "grains");
                silo.Services.AddKeyedSingleton<IGrainStorage>(AdapterGrain.StorageName, (sp, _) =>
                    new FileGrainStorage(root, new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>())));
                break;
            case JobStorage.Memory:
                silo.AddMemoryGrainStorage(AdapterGrain.StorageName);
                break;
        }
        return silo;
    }

}
