using System.Text.RegularExpressions;

namespace Lora.Deploy.Tests.Containers;

/// <summary>
/// A .dockerignore file: which context paths the build never sees. Patterns follow Docker's rules for the forms
/// used here: <c>**</c> spans directories, <c>*</c> and <c>?</c> stay within one, a trailing slash is ignored, and
/// a pattern that matches a directory excludes everything under it. Negations (!) are rejected rather than guessed.
/// </summary>
internal sealed class DockerIgnore
{
    private readonly IReadOnlyList<Regex> _patterns;

    private DockerIgnore(IReadOnlyList<Regex> patterns) => _patterns = patterns;

    public static DockerIgnore Load(string path)
    {
        var patterns = new List<Regex>();
        foreach (var (raw, number) in File.ReadAllLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (raw.Length == 0 || raw.StartsWith('#')) continue;
            if (raw.StartsWith('!')) throw new FormatException($"{path}:{number}: negated patterns are not supported by these tests");
            var pattern = raw.Trim('/');
            var regex = "^" + Regex.Escape(pattern).Replace(@"\*\*/", "(.*/)?").Replace(@"\*\*", ".*")
                .Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]") + "$";
            patterns.Add(new Regex(regex, RegexOptions.CultureInvariant));
        }
        return new DockerIgnore(patterns);
    }

    /// <summary>True when the context-relative path (forward slashes) or one of its parent directories is excluded.</summary>
    public bool Excludes(string relativePath)
    {
        var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var n = 1; n <= parts.Length; n++)
        {
            var prefix = string.Join('/', parts.Take(n));
            if (_patterns.Any(p => p.IsMatch(prefix))) return true;
        }
        return false;
    }
}
