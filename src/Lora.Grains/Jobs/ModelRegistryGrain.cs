using Lora.Abstractions;
using Orleans.Runtime;

namespace Lora.Grains.Jobs;

/// <summary>
/// Which silo hosts which base model (key 0). Soft state: every silo re-registers periodically, and entries of
/// silos that membership no longer lists as active are dropped, so the answer never names a dead silo.
/// </summary>
public sealed class ModelRegistryGrain(IClusterMembershipService membership) : Grain, IModelRegistryGrain
{
    private readonly Dictionary<string, BaseModelInfo> _bySilo = new();

    public Task Register(BaseModelInfo model)
    {
        _bySilo[model.Silo] = model;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<BaseModelInfo>> List()
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.ToString()).ToHashSet();
        return Task.FromResult<IReadOnlyList<BaseModelInfo>>(_bySilo.Values.Where(m => active.Contains(m.Silo)).OrderBy(m => m.Id).ToList());
    }
}
