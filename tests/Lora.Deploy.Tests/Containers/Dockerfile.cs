using System.Text.RegularExpressions;

namespace Lora.Deploy.Tests.Containers;

/// <summary>One instruction: keyword upper-cased, flags such as --from=build split off, the rest as written.</summary>
internal sealed record DockerInstruction(int Line, string Keyword, IReadOnlyDictionary<string, string> Flags, string Arguments);

/// <summary>A FROM … AS name stage and its instructions.</summary>
internal sealed record DockerStage(string Name, string BaseImage, IReadOnlyList<DockerInstruction> Instructions);

/// <summary>
/// A Dockerfile parsed the way BuildKit reads it for the instructions this repository uses: line continuations,
/// comments and parser directives, ARGs before the first FROM (global) and inside stages, and ${VAR} / ${VAR:-x}
/// substitution in FROM. Anything it does not understand is an error, so a new instruction cannot slip past the tests.
/// </summary>
internal sealed partial class Dockerfile
{
    private static readonly HashSet<string> Known =
        ["FROM", "ARG", "ENV", "WORKDIR", "COPY", "RUN", "LABEL", "EXPOSE", "VOLUME", "USER", "HEALTHCHECK", "ENTRYPOINT", "CMD"];

    private Dockerfile(IReadOnlyDictionary<string, string> globalArgs, IReadOnlyList<DockerStage> stages)
    {
        GlobalArgs = globalArgs;
        Stages = stages;
    }

    public IReadOnlyDictionary<string, string> GlobalArgs { get; }
    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Stage(string name) => Stages.Single(s => s.Name == name);

    public static Dockerfile Parse(string path)
    {
        var globalArgs = new Dictionary<string, string>();
        var stages = new List<DockerStage>();
        (string Name, string Image, List<DockerInstruction> Body)? current = null;
        foreach (var instruction in Instructions(File.ReadAllLines(path), path))
        {
            if (instruction.Keyword == "FROM")
            {
                if (current is { } done) stages.Add(new DockerStage(done.Name, done.Image, done.Body));
                var m = FromPattern().Match(instruction.Arguments);
                if (!m.Success) throw new FormatException($"{path}:{instruction.Line}: FROM without 'AS name': {instruction.Arguments}");
                current = (m.Groups["name"].Value, Substitute(m.Groups["image"].Value, globalArgs), []);
            }
            else if (current is null)
            {
                if (instruction.Keyword != "ARG") throw new FormatException($"{path}:{instruction.Line}: {instruction.Keyword} before the first FROM");
                var (name, value) = SplitArg(instruction.Arguments);
                globalArgs[name] = value ?? "";
            }
            else current.Value.Body.Add(instruction);
        }
        if (current is { } last) stages.Add(new DockerStage(last.Name, last.Image, last.Body));
        return new Dockerfile(globalArgs, stages);
    }

    /// <summary>ARG NAME[=default].</summary>
    public static (string Name, string? Default) SplitArg(string arguments)
    {
        var eq = arguments.IndexOf('=');
        return eq < 0 ? (arguments.Trim(), null) : (arguments[..eq].Trim(), arguments[(eq + 1)..].Trim());
    }

    /// <summary>${VAR}, ${VAR:-default} and $VAR from <paramref name="values"/>; unknown names become empty, as in Docker.</summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        VariablePattern().Replace(text, m =>
        {
            var name = m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["bare"].Value;
            var value = values.TryGetValue(name, out var v) ? v : "";
            return value.Length == 0 && m.Groups["fallback"].Success ? m.Groups["fallback"].Value : value;
        });

    private static IEnumerable<DockerInstruction> Instructions(string[] lines, string path)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var start = i + 1;
            var text = line;
            while (text.EndsWith('\\'))
            {
                text = text[..^1];
                // Comment lines inside a continuation are dropped, as BuildKit does.
                do i++; while (i < lines.Length && lines[i].TrimStart().StartsWith('#'));
                if (i >= lines.Length) throw new FormatException($"{path}:{start}: continuation runs past the end of the file");
                text += " " + lines[i].Trim();
            }
            var space = text.IndexOf(' ');
            var keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
            if (!Known.Contains(keyword)) throw new FormatException($"{path}:{start}: instruction '{keyword}' is not understood by these tests");
            var rest = space < 0 ? "" : text[(space + 1)..].Trim();
            var flags = new Dictionary<string, string>();
            while (keyword is "COPY" && FlagPattern().Match(rest) is { Success: true } flag)
            {
                flags[flag.Groups["name"].Value] = flag.Groups["value"].Value;
                rest = rest[flag.Length..].TrimStart();
            }
            yield return new DockerInstruction(start, keyword, flags, rest);
        }
    }

    [GeneratedRegex(@"^(?<image>\S+)\s+AS\s+(?<name>\S+)$", RegexOptions.IgnoreCase)]
    private static partial Regex FromPattern();

    [GeneratedRegex(@"^--(?<name>[a-z-]+)=(?<value>\S+)\s*")]
    private static partial Regex FlagPattern();

    [GeneratedRegex(@"\$\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)(:-(?<fallback>[^}]*))?\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariablePattern();
}
