using System.Buffers.Binary;
using System.Text;
using Lora.Reference;

namespace Lora.Reference.Tests;

public sealed class SafetensorsReaderTests
{
    [Theory]
    [InlineData((ushort)0x3F80, 1.0)]
    [InlineData((ushort)0xC000, -2.0)]
    [InlineData((ushort)0x4049, 3.140625)]
    [InlineData((ushort)0x3E20, 0.15625)]
    [InlineData((ushort)0x0000, 0.0)]
    [InlineData((ushort)0x7F80, double.PositiveInfinity)]
    [InlineData((ushort)0xFF80, double.NegativeInfinity)]
    public void Bf16_known_bit_patterns_decode_exactly(ushort bits, double expected) =>
        Assert.Equal(expected, SafetensorsReader.DecodeBf16(bits));

    [Fact]
    public void Bf16_negative_zero_and_smallest_subnormal()
    {
        Assert.True(double.IsNegative(SafetensorsReader.DecodeBf16(0x8000)));
        // 0x0001 → float32 bits 0x00010000 = 2^16 · 2^-149 = 2^-133.
        Assert.Equal(Math.Pow(2, -133), SafetensorsReader.DecodeBf16(0x0001));
    }

    [Theory]
    [InlineData((ushort)0x3C00, 1.0)]
    [InlineData((ushort)0xC000, -2.0)]
    [InlineData((ushort)0x3555, 0.333251953125)]
    [InlineData((ushort)0x7BFF, 65504.0)]
    [InlineData((ushort)0x0001, 5.9604644775390625e-8)]
    public void F16_known_bit_patterns_decode_exactly(ushort bits, double expected) =>
        Assert.Equal(expected, SafetensorsReader.DecodeF16(bits));

    [Fact]
    public void Hand_written_file_with_metadata_decodes_bf16_and_f32()
    {
        // Built byte by byte (not with the test writer) so the parser is checked against the spec itself.
        string json = """{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"f":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new List<byte>();
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        bytes.AddRange(length);
        bytes.AddRange(header);
        bytes.AddRange(new byte[] { 0x80, 0x3F, 0x00, 0xC0, 0x49, 0x40, 0x20, 0x3E }); // 1, -2, 3.140625, 0.15625
        bytes.AddRange(BitConverter.GetBytes(0.1f));

        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "x.safetensors");
        File.WriteAllBytes(path, bytes.ToArray());
        var tensors = SafetensorsReader.ReadFile(path);

        Assert.Equal(2, tensors.Count);
        Assert.Equal([2, 2], tensors["b"].Shape);
        Assert.Equal([1.0, -2.0, 3.140625, 0.15625], tensors["b"].Data);
        Assert.Equal((double)0.1f, tensors["f"].Data[0]);
    }

    [Fact]
    public void Bf16_writer_rounds_to_nearest_even_and_reader_returns_the_rounded_values()
    {
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7 → even mantissa (1); 1 + 3·2^-8 → 1 + 2^-6.
        var t = new DoubleTensor([3], [1 + Math.Pow(2, -8), 1 + 3 * Math.Pow(2, -8), -0.1]);
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "b.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, DoubleTensor> { ["t"] = t }, "BF16");
        double[] back = SafetensorsReader.ReadFile(path)["t"].Data;
        Assert.Equal(1.0, back[0]);
        Assert.Equal(1 + Math.Pow(2, -6), back[1]);
        Assert.Equal(SafetensorsReader.DecodeBf16(0xBDCD), back[2]); // -0.1f = 0xBDCCCCCD rounds up to 0xBDCD
    }

    [Fact]
    public void Sharded_checkpoint_reads_the_same_tensors_as_a_single_file()
    {
        var spec = new TinyModelSpec();
        var weights = FixtureBuilder.RandomWeights(spec, seed: 1);
        using var dir = new TempDirectory();
        string single = dir.Sub("single"), sharded = dir.Sub("sharded");
        FixtureBuilder.WriteModel(single, spec, weights);
        FixtureBuilder.WriteModel(sharded, spec, weights, shards: 3);

        var a = SafetensorsReader.ReadCheckpoint(single);
        var b = SafetensorsReader.ReadCheckpoint(sharded);
        Assert.Equal(weights.Count, b.Count);
        foreach (var (name, tensor) in weights)
        {
            Assert.Equal(tensor.Shape, b[name].Shape);
            Assert.Equal(tensor.Data, a[name].Data);
            Assert.Equal(tensor.Data, b[name].Data);
        }
    }
}
