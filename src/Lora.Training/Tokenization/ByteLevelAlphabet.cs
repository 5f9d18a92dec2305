namespace Lora.Training.Tokenization;

/// <summary>
/// GPT-2's reversible byte ↔ printable-character table. Byte-level BPE vocabularies are written in these
/// characters (space is "Ġ", newline "Ċ"), so every tokenizer.json of the family depends on this exact table.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToCharTable = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByteTable = BuildCharToByte(ByteToCharTable);

    public static char ByteToChar(byte b) => ByteToCharTable[b];

    public static bool TryCharToByte(char c, out byte b) => CharToByteTable.TryGetValue(c, out b);

    /// <summary>Maps the UTF-8 bytes of <paramref name="text"/> to the byte-level alphabet.</summary>
    public static string Encode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return string.Create(bytes.Length, bytes, static (span, b) =>
        {
            for (var i = 0; i < b.Length; i++) span[i] = ByteToCharTable[b[i]];
        });
    }

    private static char[] BuildByteToChar()
    {
        // Printable Latin-1 bytes map to themselves; the other 68 bytes take code points 256, 257, … in byte order.
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static Dictionary<char, byte> BuildCharToByte(char[] byteToChar)
    {
        var map = new Dictionary<char, byte>(256);
        for (var b = 0; b < 256; b++) map[byteToChar[b]] = (byte)b;
        return map;
    }
}
