namespace Lora.Silo.Configuration;

/// <summary>Element type the frozen base weights are held in (<c>--base-model-dtype</c>); adapters stay float32.</summary>
public enum BaseModelDtype
{
    Float32,
    /// <summary>Halves base-model memory; worthwhile on GPUs with native bf16.</summary>
    BFloat16,
}
