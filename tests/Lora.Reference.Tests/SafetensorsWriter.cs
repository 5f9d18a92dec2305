using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Lora.Reference;

namespace Lora.Reference.Tests;

/// <summary>
/// Test-only safetensors writer (F32 / BF16 / F16), so fixtures can be built without Python.
/// Layout per the safetensors spec: u64 LE header length, JSON header padded with spaces to a
/// multiple of 8 (as the Rust writer does), then the tensors back to back.
/// </summary>
public sealed class SafetensorsWriter
{
    private SafetensorsWriter()
    {
    }

    public static void Write(string path, IReadOnlyDictionary<string, DoubleTensor> tensors, string dtype,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        int width = dtype is "F32" ? 4 : dtype is "BF16" or "F16" ? 2 : throw new NotSupportedException(dtype);
        var header = new Dictionary<string, object>();
        if (metadata is not null) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            long size = (long)tensor.Data.Length * width;
            header[name] = new { dtype, shape = tensor.Shape, data_offsets = new[] { offset, offset + size } };
            offset += size;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(json);
        stream.Write(Encoding.ASCII.GetBytes(new string(' ', padded - json.Length)));

        var item = new byte[width];
        foreach (var tensor in tensors.Values)
            foreach (double value in tensor.Data)
            {
                switch (dtype)
                {
                    case "F32": BinaryPrimitives.WriteSingleLittleEndian(item, (float)value); break;
                    case "BF16": BinaryPrimitives.WriteUInt16LittleEndian(item, ToBf16Bits((float)value)); break;
                    default: BinaryPrimitives.WriteUInt16LittleEndian(item, BitConverter.HalfToUInt16Bits((Half)value)); break;
                }
                stream.Write(item);
            }
    }

    /// <summary>float32 → bfloat16 with round-to-nearest-even (torch's conversion), finite inputs only.</summary>
    public static ushort ToBf16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
