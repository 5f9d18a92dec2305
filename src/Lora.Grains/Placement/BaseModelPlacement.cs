using Lora.Abstractions;
using Lora.Grains.Hosting;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Lora.Grains.Placement;

/// <summary>
/// Keeps only silos that host the grain's base model. The model id is read from the grain key, not from request
/// context, so re-placement after a silo failure (when no caller context exists) lands on a compatible silo too.
/// </summary>
public sealed class BaseModelPlacementFilterStrategy() : PlacementFilterStrategy(order: 0);

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class BaseModelPlacementFilterAttribute() : PlacementFilterAttribute(new BaseModelPlacementFilterStrategy());

public sealed class BaseModelPlacementFilterDirector(ISiloMetadataCache metadata) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        var model = AdapterKeys.BaseModelOf(target.GrainIdentity.Key.ToString()!);
        var all = silos.ToList();
        var matching = all.Where(s => HostedModel(s) == model).ToList();
        if (matching.Count > 0) return matching;
        var hosted = all.Select(HostedModel).Where(m => m is not null).Distinct().Order().ToList();
        throw new UnknownBaseModelException(model, hosted!);
    }

    private string? HostedModel(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(SiloModelMetadata.BaseModelKey);
}
