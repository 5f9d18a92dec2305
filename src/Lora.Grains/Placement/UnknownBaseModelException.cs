namespace Lora.Grains.Placement;

/// <summary>A job asked for a base model that no live silo hosts.</summary>
[GenerateSerializer, Alias("lora.UnknownBaseModelException")]
public sealed class UnknownBaseModelException : Exception
{
    public UnknownBaseModelException(string model, IReadOnlyList<string> hosted)
        : base($"no silo hosts base model '{model}'; hosted models: {(hosted.Count == 0 ? "(none)" : string.Join(", ", hosted))}.") { }
}
