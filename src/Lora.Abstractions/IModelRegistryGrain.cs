namespace Lora.Abstractions;

/// <summary>Which silo hosts which base model (key 0): every active silo, none that has left.</summary>
[Alias("lora.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithIntegerKey
{
    [Alias("List")]
    Task<IReadOnlyList<BaseModelInfo>> List();
}
