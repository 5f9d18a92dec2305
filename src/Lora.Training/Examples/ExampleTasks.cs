using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Lora.Training.Data;

namespace Lora.Training.Examples;

/// <summary>
/// One demo task: a seeded generator of prompt/completion JSONL and the exact answer for a prompt. Answers are
/// computed from the prompt (not looked up), so any prompt of the task's form can be scored, including held-out ones.
/// </summary>
public sealed record ExampleTask(string Name, string Description, Func<long, int, string> Generate, Func<string, string> Solve);

/// <summary>
/// Small string and arithmetic tasks a LoRA adapter on the built-in base should learn in about a minute of CPU time.
/// Every prompt is "name: input =" and every completion is " answer": a leading space so prompt and answer stay
/// separate bytes, short enough (≤ 32 byte tokens with bos/eos) for seq_len 48.
/// </summary>
public static class ExampleTasks
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string Vowels = "aeiou";

    public static IReadOnlyList<ExampleTask> All { get; } =
    [
        Make("reverse", "reverse 3–6 lowercase letters: \"reverse: abcd =\" → \" dcba\"",
            r => Word(r, 3, 6), s => new string(s.Reverse().ToArray())),
        Make("sort", "sort 3–6 lowercase letters alphabetically: \"sort: dbca =\" → \" abcd\"",
            r => Word(r, 3, 6), s => new string(s.Order().ToArray())),
        Make("upper", "uppercase 3–8 lowercase letters: \"upper: hello =\" → \" HELLO\"",
            r => Word(r, 3, 8), s => s.ToUpperInvariant()),
        Make("add", "add two 2-digit numbers: \"add: 23+45 =\" → \" 68\"",
            r => $"{10 + r.NextInt(90)}+{10 + r.NextInt(90)}", Add),
        Make("vowels", "count the vowels (aeiou) in 3–8 lowercase letters: \"vowels: banana =\" → \" 3\"",
            r => Word(r, 3, 8), s => s.Count(Vowels.Contains).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    public static ExampleTask Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown example task '{name}' (expected one of {string.Join(", ", All.Select(t => t.Name))}).");

    /// <summary>The prompt for an input, e.g. ("reverse", "abcd") → "reverse: abcd =".</summary>
    public static string Prompt(string taskName, string input) => $"{taskName}: {input} =";

    /// <summary>Writes dir/&lt;task&gt;.jsonl for every task; each task gets its own seed stream.</summary>
    public static IReadOnlyList<string> WriteAll(string dir, int countPerTask, long seed)
    {
        Directory.CreateDirectory(dir);
        var paths = new List<string>();
        foreach (var task in All)
        {
            var path = Path.Combine(dir, task.Name + ".jsonl");
            File.WriteAllText(path, task.Generate(seed, countPerTask), new UTF8Encoding(false));
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>
    /// True when the generation, trimmed of surrounding whitespace and cut at the first newline, is exactly the
    /// answer to the prompt. Strict on purpose: "dcb" or "dcbaa" for "abcd" is wrong, not "close".
    /// </summary>
    public static bool ExactMatch(string taskName, string prompt, string generated)
    {
        var task = Get(taskName);
        var head = task.Name + ": ";
        if (!prompt.StartsWith(head, StringComparison.Ordinal) || !prompt.EndsWith(" =", StringComparison.Ordinal))
            throw new ArgumentException($"prompt '{prompt}' is not of the form '{head}<input> ='.");
        var input = prompt[head.Length..^2];
        var line = generated.Split('\n')[0].Trim();
        return line == task.Solve(input);
    }

    /// <summary>Parses a JSONL line written by a generator back into (prompt, completion).</summary>
    public static (string Prompt, string Completion) ParseLine(string line)
    {
        using var doc = JsonDocument.Parse(line);
        return (doc.RootElement.GetProperty("prompt").GetString()!, doc.RootElement.GetProperty("completion").GetString()!);
    }

    private static ExampleTask Make(string name, string description, Func<StableRandom, string> input, Func<string, string> solve) =>
        new(name, description, (seed, count) => Jsonl(name, seed, count, input, solve), solve);

    private static string Jsonl(string name, long seed, int count, Func<StableRandom, string> input, Func<string, string> solve)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        // Salting with the name keeps tasks' inputs independent for one seed (reverse and sort do not share words).
        var rng = new StableRandom((ulong)seed ^ Fnv1a(name));
        var sb = new StringBuilder();
        // Relaxed escaping writes '+' as itself: the files stay readable and the bytes stay what the model sees.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        // Distinct inputs: a repeated prompt would sit in both the train and the eval split of one job and make the
        // held-out loss optimistic (add has only 8,100 inputs; 400 draws with replacement repeat about 10).
        var drawn = new HashSet<string>(StringComparer.Ordinal);
        for (var draws = 0; drawn.Count < count; draws++)
        {
            if (draws >= 100 * count + 1000)
                throw new ArgumentOutOfRangeException(nameof(count), count, $"task '{name}' has too few distinct inputs for {count} examples.");
            var x = input(rng);
            if (!drawn.Add(x)) continue;
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, options))
            {
                w.WriteStartObject();
                w.WriteString("prompt", Prompt(name, x));
                w.WriteString("completion", " " + solve(x));
                w.WriteEndObject();
            }
            sb.Append(Encoding.UTF8.GetString(stream.ToArray())).Append('\n');
        }
        return sb.ToString();
    }

    private static string Word(StableRandom rng, int min, int max)
    {
        var length = min + rng.NextInt(max - min + 1);
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = Letters[rng.NextInt(Letters.Length)];
        return new string(chars);
    }

    private static string Add(string input)
    {
        var parts = input.Split('+');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var a) || !int.TryParse(parts[1], out var b))
            throw new ArgumentException($"add input '{input}' is not of the form 'a+b'.");
        return (a + b).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static ulong Fnv1a(string s)
    {
        var h = 0xcbf29ce484222325UL;
        foreach (var c in s) h = (h ^ c) * 0x100000001b3UL;
        return h;
    }
}
