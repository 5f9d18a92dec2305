using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// Reads a safetensors file (8-byte little-endian header length, JSON header, raw data) into float32 tensors by
/// name. Written here rather than borrowed from Lora.Training so the comparison does not trust the writer's code.
/// </summary>
internal static class Safetensors
{
    public static Dictionary<string, float[]> ReadF32(byte[] bytes)
    {
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var data = bytes.AsSpan(8 + headerLength);
        var tensors = new Dictionary<string, float[]>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new InvalidDataException($"{entry.Name}: dtype {dtype}, expected F32");
            var offsets = entry.Value.GetProperty("data_offsets");
            var (begin, end) = (offsets[0].GetInt32(), offsets[1].GetInt32());
            tensors[entry.Name] = MemoryMarshal.Cast<byte, float>(data[begin..end]).ToArray();
        }
        return tensors;
    }

    /// <summary>Largest |a − b| over all tensors; throws if the two files do not hold the same tensors and shapes.</summary>
    public static double MaxAbsDiff(byte[] a, byte[] b)
    {
        var (x, y) = (ReadF32(a), ReadF32(b));
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        var max = 0.0;
        foreach (var (name, values) in x)
        {
            Assert.True(values.Length == y[name].Length, $"{name}: {values.Length} vs {y[name].Length} elements");
            for (var i = 0; i < values.Length; i++) max = Math.Max(max, Math.Abs((double)values[i] - y[name][i]));
        }
        return max;
    }
}
