namespace Lora.Abstractions;

/// <summary>A finished adapter in HuggingFace PEFT format: adapter_model.safetensors and adapter_config.json.</summary>
[GenerateSerializer, Immutable, Alias("lora.AdapterFiles")]
public sealed record AdapterFiles(
    [property: Id(0)] byte[] Safetensors,
    [property: Id(1)] string ConfigJson)
{
    public const string WeightsFileName = "adapter_model.safetensors";
    public const string ConfigFileName = "adapter_config.json";
}
