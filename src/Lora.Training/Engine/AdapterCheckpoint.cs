using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Lora.Training.Data;

namespace Lora.Training.Engine;

/// <summary>
/// Everything needed to continue an adapter's training exactly: factors, AdamW moments, completed steps (which
/// fixes the learning-rate schedule position), data cursor and the dropout generator's state. Binary, versioned,
/// with a length check and a trailing SHA-256 so a truncated or damaged blob is rejected instead of half-loaded
/// (a generator state of the wrong size would abort the process inside libtorch, not throw).
/// </summary>
public sealed record AdapterCheckpoint(int Step, CursorPosition Cursor, float[] Flat, float[] M, float[] V, byte[] GeneratorState)
{
    private const int Magic = 0x4C43_4B32;         // "LCK2": LCK1 plus the checksum
    private const int UncheckedMagic = 0x4C43_4B31; // "LCK1", written by earlier builds; still read
    private const int ChecksumBytes = 32;

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write(Magic);
        w.Write(Step);
        w.Write(Cursor.Epoch);
        w.Write(Cursor.Index);
        WriteArray(w, MemoryMarshal.AsBytes(Flat.AsSpan()));
        WriteArray(w, MemoryMarshal.AsBytes(M.AsSpan()));
        WriteArray(w, MemoryMarshal.AsBytes(V.AsSpan()));
        WriteArray(w, GeneratorState);
        w.Flush();
        w.Write(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
        return stream.ToArray();
    }

    public static AdapterCheckpoint FromBytes(byte[] bytes)
    {
        try
        {
            var magic = bytes.Length >= 4 ? BitConverter.ToInt32(bytes, 0) : 0;
            if (magic is not (Magic or UncheckedMagic)) throw new InvalidDataException("checkpoint: unknown format (bad magic number).");
            var payload = magic == Magic ? bytes.Length - ChecksumBytes : bytes.Length;
            if (payload < 4) throw new InvalidDataException("checkpoint: truncated (ends inside a field).");
            if (magic == Magic && !SHA256.HashData(bytes.AsSpan(0, payload)).AsSpan().SequenceEqual(bytes.AsSpan(payload)))
                throw new InvalidDataException("checkpoint: checksum mismatch (the stored bytes were damaged).");
            using var r = new BinaryReader(new MemoryStream(bytes, 0, payload));
            r.ReadInt32();
            var step = r.ReadInt32();
            var cursor = new CursorPosition(r.ReadInt32(), r.ReadInt32());
            var flat = MemoryMarshal.Cast<byte, float>(ReadArray(r)).ToArray();
            var m = MemoryMarshal.Cast<byte, float>(ReadArray(r)).ToArray();
            var v = MemoryMarshal.Cast<byte, float>(ReadArray(r)).ToArray();
            var generator = ReadArray(r);
            if (step < 0 || cursor.Epoch < 0 || cursor.Index < 0)
                throw new InvalidDataException($"checkpoint: negative step or cursor (step {step}, cursor {cursor}).");
            if (m.Length != flat.Length || v.Length != flat.Length)
                throw new InvalidDataException($"checkpoint: moment sizes ({m.Length}, {v.Length}) differ from the parameter count {flat.Length}.");
            if (r.BaseStream.Position != payload) throw new InvalidDataException("checkpoint: trailing bytes after the last field.");
            return new AdapterCheckpoint(step, cursor, flat, m, v, generator);
        }
        catch (EndOfStreamException) { throw new InvalidDataException("checkpoint: truncated (ends inside a field)."); }
    }

    private static void WriteArray(BinaryWriter w, ReadOnlySpan<byte> data)
    {
        w.Write(data.Length);
        w.Write(data);
    }

    private static byte[] ReadArray(BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position)
            throw new InvalidDataException($"checkpoint: field length {length} exceeds the remaining data.");
        return r.ReadBytes(length);
    }
}
