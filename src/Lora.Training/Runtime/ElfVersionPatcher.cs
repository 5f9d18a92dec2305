using System.Buffers.Binary;
using System.Text;

namespace Lora.Training.Runtime;

/// <summary>
/// Marks one symbol-version requirement of an ELF64 little-endian shared object as weak (VER_FLG_WEAK), so the
/// dynamic loader accepts a libstdc++ that lacks that version. TorchSharp 0.107.0's libLibTorchSharp.so asks for
/// GLIBCXX_3.4.32 (GCC 13) only for <c>std::ios_base_library_init()</c>, which nothing binds at run time; Debian 12
/// ships GLIBCXX_3.4.30.
/// </summary>
internal static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>Returns the patched image, or null when the image does not require <paramref name="version"/>.</summary>
    public static byte[]? WeakenVersionRequirement(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("Only little-endian ELF64 images are supported.");

        var span = elf.AsSpan();
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);

        for (int i = 0; i < shnum; i++)
        {
            var sh = span[(int)(shoff + i * shentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;

            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            var strtab = span[(int)(shoff + link * shentsize)..];
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strtab[0x18..]);
            return PatchVerneedChain(elf, offset, strOffset, version) ? elf : null;
        }
        return null;
    }

    private static bool PatchVerneedChain(byte[] elf, long verneed, long strOffset, string version)
    {
        var span = elf.AsSpan();
        bool patched = false;
        while (true)
        {
            // Elf64_Verneed: vn_version(2) vn_cnt(2) vn_file(4) vn_aux(4) vn_next(4)
            int count = BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(verneed + 2)..]);
            long aux = verneed + BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(verneed + 8)..]);
            for (int j = 0; j < count; j++)
            {
                // Elf64_Vernaux: vna_hash(4) vna_flags(2) vna_other(2) vna_name(4) vna_next(4)
                uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(aux + 8)..]);
                if (ReadCString(span, strOffset + nameOffset) == version)
                {
                    var flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(aux + 4)..]);
                    BinaryPrimitives.WriteUInt16LittleEndian(span[(int)(aux + 4)..], (ushort)(flags | VerFlagWeak));
                    patched = true;
                }
                aux += BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(aux + 12)..]);
            }
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(verneed + 12)..]);
            if (next == 0) return patched;
            verneed += next;
        }
    }

    private static string ReadCString(ReadOnlySpan<byte> span, long offset)
    {
        var tail = span[(int)offset..];
        return Encoding.ASCII.GetString(tail[..tail.IndexOf((byte)0)]);
    }
}
