namespace Lora.Training.Checkpoints;

/// <summary>A path with every symbolic link along it resolved (like realpath(3), but a missing tail is kept as
/// written): two paths name the same folder only if these agree, whatever links lead there.</summary>
public static class RealPath
{
    /// <summary>The kernel's own limit (Linux MAXSYMLINKS); past it the path loops.</summary>
    private const int MaxLinks = 40;

    public static string Of(string path)
    {
        var pending = Path.GetFullPath(path);
        for (var hops = 0; ; hops++)
        {
            if (hops > MaxLinks) throw new IOException($"'{path}' has more than {MaxLinks} symbolic links in a row (a loop?).");
            var (resolved, next) = FirstLink(pending);
            if (next is null) return resolved;
            pending = next;
        }
    }

    public static bool SameFolder(string a, string b) =>
        string.Equals(Trim(Of(a)), Trim(Of(b)), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);

    /// <summary>Walks <paramref name="full"/> from its root; at the first link returns the path with that link replaced
    /// by its target (to walk again, as the target may hold links itself), else the path itself and null.</summary>
    private static (string Path, string? Next) FirstLink(string full)
    {
        var root = Path.GetPathRoot(full)!;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            var target = new FileInfo(next).LinkTarget;   // null when not a link or missing
            if (target is not null)
                // A relative target is relative to the folder that holds the link.
                return (next, Path.GetFullPath(Path.Combine([Path.GetFullPath(target, current), .. parts[(i + 1)..]])));
            current = next;
        }
        return (current, null);
    }

    private static string Trim(string path) => path.Length > 1 ? path.TrimEnd(Path.DirectorySeparatorChar) : path;
}
