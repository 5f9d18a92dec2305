namespace Lora.Abstractions;

/// <summary>Which silo hosts which base model (key 0). Silos register at start; entries of dead silos are dropped.</summary>
[Alias("lora.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithIntegerKey
{
    [Alias("Register")]
    Task Register(BaseModelInfo model);

    [Alias("List")]
    Task<IReadOnlyList<BaseModelInfo>> List();
}
