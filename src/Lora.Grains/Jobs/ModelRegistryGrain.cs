using Lora.Abstractions;
using Lora.Grains.Hosting;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Lora.Grains.Jobs;

/// <summary>
/// Which silo hosts which base model, read from membership and silo metadata (<see cref="SiloModelMetadata"/>):
/// the same source placement uses, local to whichever silo answers, with no state to lose or to go stale.
/// </summary>
[StatelessWorker]
public sealed class ModelRegistryGrain(IClusterMembershipService membership, ISiloMetadataCache metadata) : Grain, IModelRegistryGrain
{
    public Task<IReadOnlyList<BaseModelInfo>> List() => Task.FromResult<IReadOnlyList<BaseModelInfo>>(
        membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => SiloModelMetadata.Read(m.SiloAddress, metadata.GetSiloMetadata(m.SiloAddress).Metadata))
            .OfType<BaseModelInfo>()
            .OrderBy(m => m.Id, StringComparer.Ordinal).ThenBy(m => m.Silo, StringComparer.Ordinal)
            .ToList());
}
