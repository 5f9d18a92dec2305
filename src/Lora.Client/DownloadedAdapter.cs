namespace Lora.Client;

/// <summary>Where a downloaded adapter was written.</summary>
/// <param name="JobId">The job whose adapter this is.</param>
/// <param name="WeightsPath">Full path of adapter_model.safetensors.</param>
/// <param name="ConfigPath">Full path of adapter_config.json.</param>
/// <param name="WeightsBytes">Size of the weights file.</param>
public sealed record DownloadedAdapter(string JobId, string WeightsPath, string ConfigPath, long WeightsBytes);
