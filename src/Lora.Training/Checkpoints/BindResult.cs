namespace Lora.Training.Checkpoints;

/// <summary>What <see cref="StateDictBinder.Bind"/> did: which targets were filled, left as they were, or tied.</summary>
public sealed record BindResult(
    int Bound,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Ignored,
    bool LmHeadFromEmbeddings);
