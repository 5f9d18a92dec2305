using System.Buffers.Binary;
using System.Text.Json;

namespace Lora.Reference;

/// <summary>
/// Minimal, independent safetensors parser (format: https://github.com/huggingface/safetensors):
/// an 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
/// {name: {dtype, shape, data_offsets: [begin, end]}} (plus an ignored "__metadata__" entry),
/// then the byte buffer; offsets are relative to the start of that buffer.
/// Every tensor is widened to double.
/// </summary>
public sealed class SafetensorsReader
{
    /// <summary>HF's name for the index of a sharded checkpoint (transformers.utils.SAFE_WEIGHTS_INDEX_NAME).</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>HF's name for a single-file checkpoint (transformers.utils.SAFE_WEIGHTS_NAME).</summary>
    public const string SingleFileName = "model.safetensors";

    private SafetensorsReader()
    {
    }

    /// <summary>Reads every tensor of one .safetensors file.</summary>
    public static IReadOnlyDictionary<string, DoubleTensor> ReadFile(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"'{path}' is too short to be a safetensors file.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"'{path}': header length {headerLength} exceeds the file size.");
        int dataStart = 8 + (int)headerLength;

        var result = new Dictionary<string, DoubleTensor>(StringComparer.Ordinal);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            // The spec reserves "__metadata__" for free-form string→string metadata; it holds no tensor.
            if (entry.Name == "__metadata__") continue;
            result.Add(entry.Name, ReadTensor(path, entry, bytes, dataStart));
        }
        return result;
    }

    /// <summary>
    /// Reads a HF checkpoint directory: sharded when model.safetensors.index.json exists
    /// (its "weight_map" maps tensor name → shard file, as written by save_pretrained), otherwise model.safetensors.
    /// </summary>
    public static IReadOnlyDictionary<string, DoubleTensor> ReadCheckpoint(string directory)
    {
        string indexPath = Path.Combine(directory, IndexFileName);
        if (!File.Exists(indexPath))
            return ReadFile(Path.Combine(directory, SingleFileName));

        using var index = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        var wanted = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (JsonProperty mapping in index.RootElement.GetProperty("weight_map").EnumerateObject())
        {
            string shard = mapping.Value.GetString() ?? throw new InvalidDataException($"Null shard for '{mapping.Name}'.");
            if (!wanted.TryGetValue(shard, out var names)) wanted[shard] = names = [];
            names.Add(mapping.Name);
        }

        var result = new Dictionary<string, DoubleTensor>(StringComparer.Ordinal);
        foreach (var (shard, names) in wanted)
        {
            var tensors = ReadFile(Path.Combine(directory, shard));
            foreach (string name in names)
            {
                if (!tensors.TryGetValue(name, out var tensor))
                    throw new InvalidDataException($"Index maps '{name}' to '{shard}', which does not contain it.");
                result.Add(name, tensor);
            }
        }
        return result;
    }

    /// <summary>bfloat16 is the top 16 bits of an IEEE float32, so widening is a 16-bit left shift.</summary>
    public static double DecodeBf16(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>IEEE 754 binary16, decoded by the runtime's Half.</summary>
    public static double DecodeF16(ushort bits) => (double)BitConverter.UInt16BitsToHalf(bits);

    private static DoubleTensor ReadTensor(string path, JsonProperty entry, byte[] bytes, int dataStart)
    {
        JsonElement info = entry.Value;
        string dtype = info.GetProperty("dtype").GetString() ?? "";
        int[] shape = info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        JsonElement offsets = info.GetProperty("data_offsets");
        long begin = offsets[0].GetInt64();
        long end = offsets[1].GetInt64();
        long count = shape.Aggregate(1L, (acc, dim) => acc * dim);

        int width = dtype switch
        {
            "F64" => 8,
            "F32" => 4,
            "BF16" or "F16" => 2,
            _ => throw new NotSupportedException($"'{path}': tensor '{entry.Name}' has unsupported dtype '{dtype}'."),
        };
        if (end - begin != count * width || begin < 0 || dataStart + end > bytes.Length)
            throw new InvalidDataException(
                $"'{path}': tensor '{entry.Name}' offsets [{begin},{end}) do not fit {count} x {dtype}.");

        ReadOnlySpan<byte> raw = bytes.AsSpan(dataStart + (int)begin, (int)(end - begin));
        var data = new double[count];
        for (int i = 0; i < data.Length; i++)
        {
            ReadOnlySpan<byte> item = raw.Slice(i * width, width);
            data[i] = dtype switch
            {
                "F64" => BinaryPrimitives.ReadDoubleLittleEndian(item),
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(item),
                "BF16" => DecodeBf16(BinaryPrimitives.ReadUInt16LittleEndian(item)),
                _ => DecodeF16(BinaryPrimitives.ReadUInt16LittleEndian(item)),
            };
        }
        return new DoubleTensor(shape, data);
    }
}
