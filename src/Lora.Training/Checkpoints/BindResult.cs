namespace Lora.Training.Checkpoints;

/// <summary>What <see cref="StateDictBinder.Bind"/> did: how many targets were filled, which were missing, which
/// source tensors had no target.</summary>
public sealed record BindResult(
    int Bound,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Ignored);
