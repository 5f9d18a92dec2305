using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>
/// Streams a tensor's raw bytes to or from a stream. Works through a flat view in bounded chunks because a
/// Span is limited to 2 GiB and real embeddings exceed that (128k vocab × 4096 × fp32 ≈ 2.1 GB).
/// </summary>
internal static class TensorBytes
{
    internal static long ChunkBytes { get; set; } = 64L << 20;

    /// <summary>Fills a contiguous CPU tensor from exactly its byte size of the stream.</summary>
    public static void Fill(Tensor target, Stream source)
    {
        ForEachChunk(target, chunk => source.ReadExactly(chunk.bytes));
    }

    /// <summary>Writes the tensor's bytes (any device or layout) to the stream.</summary>
    public static void Write(Tensor tensor, Stream destination)
    {
        using var scope = NewDisposeScope();
        var cpu = tensor.device_type == DeviceType.CPU ? tensor : tensor.cpu();
        var contiguous = cpu.is_contiguous() ? cpu : cpu.contiguous();
        ForEachChunk(contiguous, chunk => destination.Write(chunk.bytes));
    }

    private static void ForEachChunk(Tensor tensor, Action<Tensor> action)
    {
        var elementSize = SafetensorsDType.Size(tensor.dtype);
        var count = tensor.numel();
        if (count == 0) return;
        if (count * elementSize <= ChunkBytes)
        {
            action(tensor);
            return;
        }
        using var flat = tensor.view(-1);
        var perChunk = Math.Max(1, ChunkBytes / elementSize);
        for (long start = 0; start < count; start += perChunk)
        {
            using var slice = flat.narrow(0, start, Math.Min(perChunk, count - start));
            action(slice);
        }
    }
}
