using System.Globalization;
using System.Text;

namespace Lora.Training.Tokenization;

/// <summary>
/// A string as a regex over code points would see it. HuggingFace tokenizers (Rust regex) match code points; .NET
/// regexes match UTF-16 code units, so in Llama-3's <c>[^\r\n\p{L}\p{N}]?\p{L}+</c> the optional class takes a whole
/// emoji in Rust ("😁n" is one word) but only its high surrogate in .NET (two words, other token ids). The view puts
/// one BMP stand-in of the same Unicode category in place of each supplementary code point, so every <c>\p{…}</c>,
/// <c>\s</c> or negated class sees one character with the right properties, and maps match positions back.
/// </summary>
internal readonly struct CodePointView
{
    /// <summary>Original index of each view index, plus the end (null when the text has no surrogate pair).</summary>
    private readonly int[]? _original;

    private CodePointView(string text, int[]? original)
    {
        Text = text;
        _original = original;
    }

    public string Text { get; }

    public int ToOriginal(int viewIndex) => _original is null ? viewIndex : _original[viewIndex];

    public static CodePointView Of(string text)
    {
        var first = FirstPair(text);
        if (first < 0) return new CodePointView(text, null);
        var view = new StringBuilder(text.Length);
        var original = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length; i++)
        {
            original.Add(i);
            if (i >= first && char.IsSurrogatePair(text, i))
            {
                view.Append(StandIn(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text, i))));
                i++;
            }
            else view.Append(text[i]);
        }
        original.Add(text.Length);
        return new CodePointView(view.ToString(), [.. original]);
    }

    private static int FirstPair(string text)
    {
        for (var i = 0; i + 1 < text.Length; i++) if (char.IsSurrogatePair(text[i], text[i + 1])) return i;
        return -1;
    }

    /// <summary>A BMP character of the category; non-ASCII so that no pattern's literal ('s, digits) can match it.</summary>
    internal static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u0100',
        UnicodeCategory.LowercaseLetter => '\u0101',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u05D0',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u2018',
        UnicodeCategory.FinalQuotePunctuation => '\u2019',
        UnicodeCategory.OtherPunctuation => '\u00A1',
        UnicodeCategory.MathSymbol => '\u00D7',
        UnicodeCategory.CurrencySymbol => '\u00A3',
        UnicodeCategory.ModifierSymbol => '\u02C2',
        UnicodeCategory.OtherSymbol => '\u00A6',
        UnicodeCategory.SpaceSeparator => '\u2002',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.OtherNotAssigned => '\u0378',
        _ => '\uE000',   // private use: "other" to every class the byte-level patterns use
    };
}
