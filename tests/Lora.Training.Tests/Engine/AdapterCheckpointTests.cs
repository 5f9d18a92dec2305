using Lora.Training.Data;
using Lora.Training.Engine;

namespace Lora.Training.Tests.Engine;

public sealed class AdapterCheckpointTests
{
    private static readonly AdapterCheckpoint Sample = new(7, new CursorPosition(1, 3),
        [0.5f, -1.25f, 3f], [0.1f, 0.2f, 0.3f], [1f, 2f, 4f], [9, 8, 7, 6]);

    [Fact]
    public void Bytes_round_trip_every_field()
    {
        var read = AdapterCheckpoint.FromBytes(Sample.ToBytes());
        Assert.Equal((Sample.Step, Sample.Cursor), (read.Step, read.Cursor));
        Assert.Equal(Sample.Flat, read.Flat);
        Assert.Equal(Sample.M, read.M);
        Assert.Equal(Sample.V, read.V);
        Assert.Equal(Sample.GeneratorState, read.GeneratorState);
    }

    [Fact]
    public void Any_damaged_byte_is_caught_by_the_checksum_or_the_format_checks()
    {
        var bytes = Sample.ToBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            Assert.Throws<InvalidDataException>(() => AdapterCheckpoint.FromBytes(damaged));
        }
        Assert.Contains("checksum mismatch", Assert.Throws<InvalidDataException>(() =>
        {
            var damaged = (byte[])bytes.Clone();
            damaged[20] ^= 0x01;
            AdapterCheckpoint.FromBytes(damaged);
        }).Message);
    }

    [Fact]
    public void Checkpoints_written_before_the_checksum_still_read()
    {
        var bytes = Sample.ToBytes();
        var legacy = bytes[..^32];
        BitConverter.GetBytes(0x4C43_4B31).CopyTo(legacy, 0);   // "LCK1"
        Assert.Equal(Sample.Flat, AdapterCheckpoint.FromBytes(legacy).Flat);
    }
}
