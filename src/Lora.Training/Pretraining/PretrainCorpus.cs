using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Lora.Training.Data;

namespace Lora.Training.Pretraining;

/// <summary>
/// The built-in base's pretraining text: English licence texts that base-files installs on every Debian 12 machine,
/// plus a seeded synthetic mixture (random words and letter strings, numbers, "key: value" records, lists) so the
/// model has seen every lowercase and uppercase letter, digit and separator in many arrangements. It deliberately
/// contains none of the demo task formats ("reverse: x =" …): what adapters learn must come from the adapters.
/// </summary>
public static partial class PretrainCorpus
{
    public const string LicenseDir = "/usr/share/common-licenses";

    /// <summary>Training licences; all ship in Debian 12's essential base-files package.</summary>
    public static readonly IReadOnlyList<string> TrainingLicenses =
        ["GPL-3", "LGPL-2.1", "Apache-2.0", "Artistic", "BSD", "MPL-2.0", "GPL-2", "LGPL-3", "CC0-1.0"];

    /// <summary>Never trained on, so tests can measure loss on unseen English of the same register.</summary>
    public const string HeldOutLicense = "GFDL-1.3";

    private static readonly string[] Keys =
        ["name", "id", "count", "size", "color", "city", "code", "level", "year", "note", "type", "owner", "port", "mode"];

    /// <summary>Reads a licence and normalises layout: runs of spaces/tabs become one space, form feeds vanish.</summary>
    public static string ReadLicense(string name, string dir = LicenseDir)
    {
        var path = Path.Combine(dir, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"pretraining corpus file '{path}' is missing; it ships in Debian's base-files package.", path);
        var text = File.ReadAllText(path).Replace("\r", "").Replace("\f", "");
        return SpaceRuns().Replace(text, " ");
    }

    /// <summary>The training documents: licences split into paragraphs, then the synthetic documents.</summary>
    public static IReadOnlyList<string> Documents(long seed, int syntheticChars, string dir = LicenseDir)
    {
        var docs = new List<string>();
        foreach (var name in TrainingLicenses)
            docs.AddRange(Paragraphs(ReadLicense(name, dir)));
        var words = Vocabulary(docs);
        docs.AddRange(Synthetic(seed, syntheticChars, words));
        return docs;
    }

    /// <summary>SHA-256 of the licence bytes, recorded with the model so a different base-files version is visible.</summary>
    public static string LicenseDigest(string dir = LicenseDir)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in TrainingLicenses) sha.AppendData(File.ReadAllBytes(Path.Combine(dir, name)));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Lowercase alphabetic words of 2–12 letters seen in the texts, sorted so the list is seed-stable.</summary>
    public static IReadOnlyList<string> Vocabulary(IEnumerable<string> texts) =>
        texts.SelectMany(t => WordPattern().Matches(t.ToLowerInvariant()).Select(m => m.Value))
            .Where(w => w.Length is >= 2 and <= 12).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>Seeded generic documents of about <paramref name="totalChars"/> characters in all.</summary>
    public static IReadOnlyList<string> Synthetic(long seed, int totalChars, IReadOnlyList<string> words)
    {
        var rng = new StableRandom((ulong)seed ^ 0x5715_7E71_C000_0001UL);
        var docs = new List<string>();
        var total = 0;
        while (total < totalChars)
        {
            var doc = rng.NextInt(5) switch
            {
                0 => Prose(rng, words),
                1 => Records(rng, words),
                2 => List(rng, words),
                3 => Numbers(rng),
                _ => Strings(rng),
            };
            docs.Add(doc);
            total += doc.Length;
        }
        return docs;
    }

    private static IEnumerable<string> Paragraphs(string text) =>
        text.Split("\n\n").Select(p => p.Trim('\n', ' ')).Where(p => p.Length > 0);

    // Sentences of real words; some capitalised or in capitals so both cases of every letter are common.
    private static string Prose(StableRandom rng, IReadOnlyList<string> words)
    {
        var sb = new StringBuilder();
        var sentences = 1 + rng.NextInt(4);
        for (var s = 0; s < sentences; s++)
        {
            var n = 4 + rng.NextInt(10);
            for (var i = 0; i < n; i++)
            {
                var w = words[rng.NextInt(words.Count)];
                if (i == 0) w = char.ToUpperInvariant(w[0]) + w[1..];
                else if (rng.NextInt(12) == 0) w = w.ToUpperInvariant();
                sb.Append(w).Append(i == n - 1 ? ". " : rng.NextInt(8) == 0 ? ", " : " ");
            }
        }
        return sb.ToString().TrimEnd();
    }

    // "key: value" lines, where a value may repeat one seen earlier: copying a string from context is a skill.
    private static string Records(StableRandom rng, IReadOnlyList<string> words)
    {
        var lines = new List<string>();
        var n = 2 + rng.NextInt(6);
        for (var i = 0; i < n; i++)
        {
            var key = Keys[rng.NextInt(Keys.Length)];
            var value = rng.NextInt(3) switch
            {
                0 => Number(rng),
                1 => RandomLetters(rng, 2, 9),
                _ => words[rng.NextInt(words.Count)],
            };
            if (i > 0 && rng.NextInt(4) == 0) value = lines[rng.NextInt(lines.Count)].Split(": ")[1];
            lines.Add($"{key}: {value}");
        }
        return string.Join("\n", lines);
    }

    private static string List(StableRandom rng, IReadOnlyList<string> words)
    {
        var bullet = rng.NextInt(3) switch { 0 => "- ", 1 => "* ", _ => "" };
        var n = 2 + rng.NextInt(6);
        var items = Enumerable.Range(1, n).Select(i =>
            (bullet.Length == 0 ? $"{i}. " : bullet) + words[rng.NextInt(words.Count)] +
            (rng.NextInt(3) == 0 ? " " + Number(rng) : ""));
        return string.Join("\n", items);
    }

    private static string Numbers(StableRandom rng)
    {
        var n = 3 + rng.NextInt(10);
        var sep = rng.NextInt(3) switch { 0 => ", ", 1 => " ", _ => "; " };
        return string.Join(sep, Enumerable.Range(0, n).Select(_ => Number(rng)));
    }

    // Random letter strings in mixed case: the tasks' inputs are random letters, not words.
    private static string Strings(StableRandom rng)
    {
        var n = 3 + rng.NextInt(8);
        return string.Join(" ", Enumerable.Range(0, n).Select(_ =>
        {
            var s = RandomLetters(rng, 1, 8);
            return rng.NextInt(5) == 0 ? s.ToUpperInvariant() : s;
        }));
    }

    private static string Number(StableRandom rng) => rng.NextInt(4) switch
    {
        0 => rng.NextInt(10).ToString(CultureInfo.InvariantCulture),
        1 => rng.NextInt(100).ToString(CultureInfo.InvariantCulture),
        2 => rng.NextInt(1000).ToString(CultureInfo.InvariantCulture),
        _ => (1900 + rng.NextInt(130)).ToString(CultureInfo.InvariantCulture),
    };

    private static string RandomLetters(StableRandom rng, int min, int max)
    {
        var chars = new char[min + rng.NextInt(max - min + 1)];
        for (var i = 0; i < chars.Length; i++) chars[i] = (char)('a' + rng.NextInt(26));
        return new string(chars);
    }

    [GeneratedRegex("[ \t]{2,}")]
    private static partial Regex SpaceRuns();

    [GeneratedRegex("[a-z]+")]
    private static partial Regex WordPattern();
}
