using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>
/// The safetensors format, implemented here rather than through PyBridge so that bf16 round-trips bit-exactly,
/// fp16 is widened on load, big tensors stream in chunks and every write is atomic.
/// Layout: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}} (plus
/// "__metadata__"), then the raw little-endian tensor bytes; offsets are relative to the end of the header.
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100_000_000; // the reference implementation's limit
    private const string MetadataKey = "__metadata__";

    /// <summary>Reads every tensor; F16 is materialised as F32, other dtypes as stored. The caller owns the tensors.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Read(stream, path);
    }

    public static Dictionary<string, Tensor> FromBytes(byte[] bytes, string source = "safetensors bytes")
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, source);
    }

    /// <summary>Reads from a seekable stream; <paramref name="source"/> names it in error messages.</summary>
    public static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        RequireLittleEndian();
        var entries = ReadHeader(stream, source, out var dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in entries.OrderBy(e => e.Begin))
            {
                stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
                var stored = empty(e.Shape, dtype: e.DType);
                try { TensorBytes.Fill(stored, stream); }
                catch (EndOfStreamException) { stored.Dispose(); throw new InvalidDataException($"{source}: truncated data for tensor '{e.Name}'."); }
                var materialised = SafetensorsDType.Materialised(e.DType);
                if (materialised == e.DType) { result.Add(e.Name, stored); continue; }
                using (stored) result.Add(e.Name, stored.to(materialised));
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Atomically writes the tensors; floating tensors are cast to <paramref name="floatDType"/> when given.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, ScalarType? floatDType = null)
    {
        var list = tensors.ToList();
        AtomicFile.Write(path, s => Write(s, list, floatDType));
    }

    public static byte[] ToBytes(IEnumerable<(string Name, Tensor Tensor)> tensors, ScalarType? floatDType = null)
    {
        using var stream = new MemoryStream();
        Write(stream, tensors, floatDType);
        return stream.ToArray();
    }

    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Tensor)> tensors, ScalarType? floatDType = null)
    {
        RequireLittleEndian();
        var list = tensors.ToList();
        var dtypes = list.Select(t => floatDType is { } f && t.Tensor.is_floating_point() ? f : t.Tensor.dtype).ToArray();
        var header = BuildHeader(list, dtypes);

        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        for (var i = 0; i < list.Count; i++)
        {
            using var scope = NewDisposeScope();
            var t = list[i].Tensor;
            TensorBytes.Write(t.dtype == dtypes[i] ? t : t.to(dtypes[i]), stream);
        }
    }

    private static byte[] BuildHeader(List<(string Name, Tensor Tensor)> list, ScalarType[] dtypes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject(MetadataKey);
            json.WriteString("format", "pt");
            json.WriteEndObject();
            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            for (var i = 0; i < list.Count; i++)
            {
                var (name, tensor) = list[i];
                if (name == MetadataKey || !names.Add(name)) throw new ArgumentException($"tensor name '{name}' is duplicated or reserved.");
                var size = tensor.numel() * SafetensorsDType.Size(dtypes[i]);
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsDType.Code(dtypes[i]));
                json.WriteStartArray("shape");
                foreach (var d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + size);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += size;
            }
            json.WriteEndObject();
        }
        // Pad with spaces to 8 bytes so the data that follows is aligned, as the reference writer does.
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private sealed record Entry(string Name, ScalarType DType, long[] Shape, long Begin, long End);

    private static List<Entry> ReadHeader(Stream stream, string source, out long dataStart)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        try { stream.ReadExactly(lengthBytes); }
        catch (EndOfStreamException) { throw new InvalidDataException($"{source}: not a safetensors file (shorter than 8 bytes)."); }
        var headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > stream.Length - 8)
            throw new InvalidDataException($"{source}: not a safetensors file (header length {headerLength} exceeds the file of {stream.Length} bytes).");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + (long)headerLength;
        var dataLength = stream.Length - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: safetensors header is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{source}: safetensors header must be a JSON object.");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == MetadataKey) continue;
                if (!names.Add(p.Name)) throw new InvalidDataException($"{source}: tensor '{p.Name}' appears twice in the header.");
                entries.Add(ParseEntry(p, dataLength, source));
            }
            RequireContiguous(entries, dataLength, source);
            return entries;
        }
    }

    /// <summary>The reference reader's rule: tensors tile the data area exactly, in offset order, with no gap or
    /// overlap. Overlapping tensors would silently share bytes; a file that breaks it is one HF refuses too.</summary>
    private static void RequireContiguous(List<Entry> entries, long dataLength, string source)
    {
        long next = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin != next)
                throw new InvalidDataException($"{source}: tensor '{e.Name}' starts at data byte {e.Begin}, expected {next} (tensors must tile the data without gaps or overlaps).");
            next = e.End;
        }
        if (next != dataLength)
            throw new InvalidDataException($"{source}: tensors cover {next} of the {dataLength} data bytes (trailing bytes or a truncated file).");
    }

    private static Entry ParseEntry(JsonProperty p, long dataLength, string source)
    {
        string Bad(string what) => $"{source}: tensor '{p.Name}': {what}";
        try
        {
            var code = p.Value.GetProperty("dtype").GetString() ?? "";
            var dtype = SafetensorsDType.Parse(code) ?? throw new InvalidDataException(Bad($"unsupported dtype '{code}'."));
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Any(d => d < 0)) throw new InvalidDataException(Bad("negative dimension in shape."));
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2) throw new InvalidDataException(Bad("data_offsets must hold two numbers."));
            // checked: a huge shape must not wrap around to a size its offsets happen to match
            var expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * SafetensorsDType.Size(dtype));
            if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                throw new InvalidDataException(Bad($"data_offsets [{offsets[0]}, {offsets[1]}] lie outside the {dataLength} data bytes (file truncated?)."));
            if (offsets[1] - offsets[0] != expected)
                throw new InvalidDataException(Bad($"data_offsets span {offsets[1] - offsets[0]} bytes but {code} [{string.Join(", ", shape)}] needs {expected}."));
            return new Entry(p.Name, dtype, shape, offsets[0], offsets[1]);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException(Bad("shape is too large (its size overflows)."));
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(Bad($"malformed header entry ({e.Message})."));
        }
    }

    private static void RequireLittleEndian()
    {
        // Tensor bytes are copied verbatim; the format is little-endian.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors IO requires a little-endian machine.");
    }
}
