using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Lora.Training.Checkpoints;
using Lora.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Checkpoints;

public sealed class SafetensorsFileTests
{
    public SafetensorsFileTests() => TorchRuntime.EnsureLoaded();

    private static byte[] Bytes(Tensor t) => t.contiguous().bytes.ToArray();

    [Fact]
    public void F32_I64_and_scalar_tensors_round_trip_bit_exactly()
    {
        using var dir = new TempDirectory();
        using var gen = new Generator(7);
        using var f = randn([5, 3], generator: gen);
        f[0, 0] = tensor(float.NaN);
        using var i = arange(0L, 10L).reshape(2, 5);
        using var s = tensor(3.5f);
        var path = dir.File("x.safetensors");

        SafetensorsFile.Write(path, [("f", f), ("i", i), ("s", s)]);
        var read = SafetensorsFile.Read(path);
        try
        {
            Assert.Equal(ScalarType.Float32, read["f"].dtype);
            Assert.Equal(ScalarType.Int64, read["i"].dtype);
            Assert.Equal(Bytes(f), Bytes(read["f"]));
            Assert.Equal(Bytes(i), Bytes(read["i"]));
            Assert.Empty(read["s"].shape);
            Assert.Equal(3.5f, read["s"].item<float>());
        }
        finally { foreach (var t in read.Values) t.Dispose(); }
    }

    [Fact]
    public void Bf16_round_trips_bit_exactly_and_stays_bf16()
    {
        using var gen = new Generator(3);
        using var source = randn([17, 9], generator: gen);
        using var b = source.to(ScalarType.BFloat16);
        var read = SafetensorsFile.FromBytes(SafetensorsFile.ToBytes([("w", b)]));
        using var w = read["w"];
        Assert.Equal(ScalarType.BFloat16, w.dtype);
        Assert.Equal(Bytes(b), Bytes(w));
    }

    [Fact]
    public void Float_cast_on_write_stores_bf16_and_leaves_integers_alone()
    {
        using var f = tensor(new float[] { 1f, 0.5f, -3f });
        using var i = tensor(new long[] { 1, 2 });
        var read = SafetensorsFile.FromBytes(SafetensorsFile.ToBytes([("f", f), ("i", i)], ScalarType.BFloat16));
        Assert.Equal(ScalarType.BFloat16, read["f"].dtype);
        Assert.Equal(ScalarType.Int64, read["i"].dtype);
        foreach (var t in read.Values) t.Dispose();
    }

    /// <summary>A file assembled byte by byte from the format spec, so the reader is not only checked against our writer.</summary>
    [Fact]
    public void Reads_a_hand_built_file_with_f32_f16_bf16_and_i32()
    {
        var data = new List<byte>();
        foreach (var v in new[] { 1.5f, -2f, 3.25f, 0f }) data.AddRange(BitConverter.GetBytes(v));   // a: F32 [2,2], bytes 0..16
        foreach (ushort h in new ushort[] { 0x3C00, 0xC000 }) data.AddRange(BitConverter.GetBytes(h)); // h: F16 [2] = 1, -2, bytes 16..20
        foreach (ushort h in new ushort[] { 0x3F80, 0x3F00, 0xC040 }) data.AddRange(BitConverter.GetBytes(h)); // b: BF16 [3] = 1, .5, -3, bytes 20..26
        data.AddRange(BitConverter.GetBytes(-7)); // n: I32 [1], bytes 26..30
        const string header = """{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[3],"data_offsets":[20,26]},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"n":{"dtype":"I32","shape":[1],"data_offsets":[26,30]}}""";
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + headerBytes.Length + data.Count];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        data.CopyTo(file, 8 + headerBytes.Length);

        var read = SafetensorsFile.FromBytes(file);
        try
        {
            Assert.Equal(new long[] { 2, 2 }, read["a"].shape);
            Assert.Equal(new[] { 1.5f, -2f, 3.25f, 0f }, read["a"].data<float>().ToArray());
            Assert.Equal(ScalarType.Float32, read["h"].dtype); // fp16 is widened: fp16 compute on CPU is unusable
            Assert.Equal(new[] { 1f, -2f }, read["h"].data<float>().ToArray());
            Assert.Equal(ScalarType.BFloat16, read["b"].dtype);
            using var b32 = read["b"].to(ScalarType.Float32);
            Assert.Equal(new[] { 1f, 0.5f, -3f }, b32.data<float>().ToArray());
            Assert.Equal(-7, read["n"].item<int>());
        }
        finally { foreach (var t in read.Values) t.Dispose(); }
    }

    [Fact]
    public void Written_header_follows_the_spec()
    {
        using var a = ones(2, 3);
        using var b = zeros([4], dtype: ScalarType.BFloat16);
        var file = SafetensorsFile.ToBytes([("a", a), ("b", b)]);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0, n % 8);
        Assert.Equal(8 + n + 24 + 8, file.Length);
        using var doc = JsonDocument.Parse(file.AsMemory(8, n));
        var root = doc.RootElement;
        Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("F32", root.GetProperty("a").GetProperty("dtype").GetString());
        Assert.Equal("[2,3]", root.GetProperty("a").GetProperty("shape").GetRawText());
        Assert.Equal("[0,24]", root.GetProperty("a").GetProperty("data_offsets").GetRawText());
        Assert.Equal("BF16", root.GetProperty("b").GetProperty("dtype").GetString());
        Assert.Equal("[24,32]", root.GetProperty("b").GetProperty("data_offsets").GetRawText());
    }

    [Fact]
    public void Overwriting_a_larger_file_leaves_a_valid_smaller_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        using (var big = ones(256, 256)) SafetensorsFile.Write(path, [("big", big), ("other", big)]);
        var bigLength = new FileInfo(path).Length;

        using var small = full(2, 2, 5f);
        SafetensorsFile.Write(path, [("small", small)]);

        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length < bigLength);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(8 + n + 16, bytes.Length);
        var read = SafetensorsFile.Read(path);
        Assert.Equal(["small"], read.Keys);
        Assert.Equal(5f, read["small"][1, 1].item<float>());
        read["small"].Dispose();
        Assert.Single(Directory.GetFiles(dir.Path)); // no temp file left behind
    }

    [Fact]
    public void Tensors_larger_than_a_chunk_stream_correctly()
    {
        var saved = TensorBytes.ChunkBytes;
        TensorBytes.ChunkBytes = 40; // 10 floats per chunk, 1,003 floats in all: the last chunk is partial
        try
        {
            using var t = arange(0, 1003, dtype: ScalarType.Float32).reshape(17, 59);
            var read = SafetensorsFile.FromBytes(SafetensorsFile.ToBytes([("t", t)]));
            using var r = read["t"];
            Assert.Equal(Bytes(t), Bytes(r));
        }
        finally { TensorBytes.ChunkBytes = saved; }
    }

    [Fact]
    public void Truncated_or_garbage_files_are_rejected_naming_the_path()
    {
        using var dir = new TempDirectory();
        using var a = ones(8, 8);
        var file = SafetensorsFile.ToBytes([("a", a)]);
        var path = dir.File("cut.safetensors");
        File.WriteAllBytes(path, file[..^10]);
        var ex = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("'a'", ex.Message);

        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("not a safetensors file at all"));
        ex = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));
        Assert.Contains(path, ex.Message);

        var missing = dir.File("nope.safetensors");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Read(missing)).Message);
    }

    [Fact]
    public void Headers_with_a_repeated_name_or_an_overflowing_shape_are_rejected_naming_file_and_tensor()
    {
        using var dir = new TempDirectory();
        static byte[] File(string header)
        {
            var h = Encoding.UTF8.GetBytes(header);
            return [.. BitConverter.GetBytes((long)h.Length), .. h];
        }
        var path = dir.File("bad.safetensors");
        System.IO.File.WriteAllBytes(path, File("""{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"""));
        var ex = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("'w' appears twice", ex.Message);

        // 2^62 × 4 elements × 4 bytes wraps to 0 in unchecked arithmetic, which the offsets [0, 0] would match.
        System.IO.File.WriteAllBytes(path, File("""{"huge":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"""));
        ex = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));
        Assert.Contains("'huge'", ex.Message);
        Assert.Contains("overflows", ex.Message);
    }

    [Fact]
    public void Tensors_that_overlap_leave_gaps_or_stop_short_of_the_data_are_rejected()
    {
        using var dir = new TempDirectory();
        var path = dir.File("tiling.safetensors");
        void Write(string header, int dataBytes)
        {
            var h = Encoding.UTF8.GetBytes(header);
            System.IO.File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)h.Length), .. h, .. new byte[dataBytes]]);
        }
        string Error() => Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path)).Message;

        // Two 2-float tensors sharing bytes 0..8: each is in bounds and the right size, but they alias.
        Write("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 16);
        Assert.Contains("expected 8", Error());
        Write("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20);
        Assert.Contains("'b' starts at data byte 12, expected 8", Error());
        Write("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12);
        Assert.Contains("cover 8 of the 12 data bytes", Error());
        Write("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12);
        Assert.Equal(2, SafetensorsFile.Read(path).Count);   // header order need not be offset order
    }
}
