using System.Text.RegularExpressions;

namespace Lora.Training.Checkpoints;

/// <summary>
/// Names of the hidden entries a write stages in (beside its target, or inside a folder written in place), and the
/// removal of those a crash left behind. Each name carries the target's name and a fresh id, so concurrent writers
/// never collide and leftovers can be told from user files.
/// </summary>
internal static class StagingLeftovers
{
    /// <summary>Older than this a leftover belongs to no live writer: writes touch their staging far more often.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    public static string TempFile(string name) => $".{name}.{Guid.NewGuid():N}.tmp";

    public static string StagingFolder(string name) => $".{name}.partial-{Guid.NewGuid():N}";

    /// <summary>
    /// Deletes leftovers of <paramref name="name"/> in <paramref name="parent"/> untouched for <see cref="MaxAge"/>
    /// (also the visible "name.partial-id" folders of earlier versions). Only names a writer makes, with their
    /// 32-hex id, are touched: anything else in <paramref name="parent"/> may be the user's.
    /// </summary>
    public static void Clean(string parent, string name)
    {
        if (!Directory.Exists(parent)) return;
        var (n, id) = (Regex.Escape(name), "[0-9a-f]{32}");
        var pattern = new Regex($@"^(?:\.?{n}\.partial-{id}|\.{n}\.{id}\.tmp)$");
        var cutoff = DateTime.UtcNow - MaxAge;
        foreach (var entry in Directory.EnumerateFileSystemEntries(parent, "*" + name + "*"))
        {
            if (!pattern.IsMatch(Path.GetFileName(entry)) || LastWrite(entry) > cutoff) continue;
            try
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another writer's cleanup got there first, or the entry is not ours to delete: leave it.
            }
        }
    }

    /// <summary>The newest write inside: a staging folder's own time stops moving once its files are created.</summary>
    private static DateTime LastWrite(string entry)
    {
        if (!Directory.Exists(entry)) return File.GetLastWriteTimeUtc(entry);
        var newest = Directory.GetLastWriteTimeUtc(entry);
        foreach (var inner in Directory.EnumerateFileSystemEntries(entry, "*", SearchOption.AllDirectories))
        {
            var t = File.GetLastWriteTimeUtc(inner);
            if (t > newest) newest = t;
        }
        return newest;
    }
}
