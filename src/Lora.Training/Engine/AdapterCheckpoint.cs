using System.Runtime.InteropServices;
using Lora.Training.Data;

namespace Lora.Training.Engine;

/// <summary>
/// Everything needed to continue an adapter's training exactly: factors, AdamW moments, completed steps (which
/// fixes the learning-rate schedule position), data cursor and the dropout generator's state. Binary, versioned,
/// with a length check so a truncated or corrupt blob is rejected instead of half-loaded.
/// </summary>
public sealed record AdapterCheckpoint(int Step, CursorPosition Cursor, float[] Flat, float[] M, float[] V, byte[] GeneratorState)
{
    private const int Magic = 0x4C43_4B31;   // "LCK1"

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
        return stream.ToArray();
    }

    public static AdapterCheckpoint FromBytes(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            if (r.ReadInt32() != Magic) throw new InvalidDataException("checkpoint: unknown format (bad magic number).");
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
            if (r.BaseStream.Position != bytes.Length) throw new InvalidDataException("checkpoint: trailing bytes after the last field.");
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
