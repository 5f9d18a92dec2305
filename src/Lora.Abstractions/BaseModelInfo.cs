namespace Lora.Abstractions;

/// <summary>A base model some silo hosts.</summary>
[GenerateSerializer, Immutable, Alias("lora.BaseModelInfo")]
public sealed record BaseModelInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Silo { get; init; }
    [Id(2)] public int Layers { get; init; }
    [Id(3)] public int Hidden { get; init; }
    [Id(4)] public int Vocab { get; init; }
    [Id(5)] public int MaxContext { get; init; }
    [Id(6)] public long Parameters { get; init; }
    [Id(7)] public string Dtype { get; init; } = "float32";
    [Id(8)] public string Device { get; init; } = "cpu";
}
