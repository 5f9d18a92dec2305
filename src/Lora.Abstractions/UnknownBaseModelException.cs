namespace Lora.Abstractions;

/// <summary>A job asked for a base model that no live silo hosts. Thrown by placement on a silo; it lives with the
/// contracts so that a client, which never loads the grains, receives it as this type (the alias keeps the wire name).</summary>
[GenerateSerializer, Alias("lora.UnknownBaseModelException")]
public sealed class UnknownBaseModelException : Exception
{
    public UnknownBaseModelException(string model, IReadOnlyList<string> hosted)
        : base($"no silo hosts base model '{model}'; hosted models: {(hosted.Count == 0 ? "(none)" : string.Join(", ", hosted))}.") { }
}
