namespace Lora.Abstractions;

/// <summary>Where to find a job: its id and base model (together the adapter grain key).</summary>
[GenerateSerializer, Immutable, Alias("lora.JobRef")]
public sealed record JobRef([property: Id(0)] string JobId, [property: Id(1)] string BaseModel);
