namespace Lora.Silo.Configuration;

/// <summary>Where the silo's training engine runs its tensors (<c>--device</c>).</summary>
public enum ComputeDevice
{
    Cpu,
    Cuda,
    /// <summary>CUDA when the libtorch backend and a GPU are both present, otherwise CPU.</summary>
    Auto,
}
