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
    /// Adds LoraCluster's grains to a silo that hosts <paramref name="host"/>: publishes its base model as silo
    /// metadata (for placement and the model listing), registers the placement filter and job storage.
    /// Clustering and reminders are the host's choice.
    /// </summary>
    public static ISiloBuilder AddLoraGrains(this ISiloBuilder silo, SiloModelHost host, JobStorage storage, string dataDir)
    {
        silo.UseSiloMetadata(SiloModelMetadata.Of(host));
        silo.Services.AddSingleton(host);
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
