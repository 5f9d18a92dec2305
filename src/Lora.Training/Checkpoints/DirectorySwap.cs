namespace Lora.Training.Checkpoints;

/// <summary>
/// Replaces a folder as a whole, for content that is only valid as a set (a model's shards and index, an adapter's
/// weights and config): readers see the old set or the new one, never a mix. The new folder is built in a hidden
/// sibling and flushed to disk, then the old folder is renamed aside, the new one renamed in, the old one deleted.
/// A crash between the two renames leaves no folder at the target — a load fails loudly instead of reading a mix —
/// and the old one intact beside it as ".name.replaced-&lt;id&gt;".
/// </summary>
internal static class DirectorySwap
{
    /// <summary>
    /// Builds the new content with <paramref name="write"/> (given the staging folder), copies in what
    /// <paramref name="keepOld"/> accepts (by name) of the old folder's entries that the new content does not have,
    /// and swaps it in. A failure before the swap leaves the old folder as it was. A target that is a symbolic link
    /// has its target replaced, so the link keeps working.
    /// </summary>
    public static void Replace(string dir, Action<string> write, Func<string, bool> keepOld)
    {
        var target = RealPath.Of(dir.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var parent = Path.GetDirectoryName(target)!;
        var name = Path.GetFileName(target);
        Directory.CreateDirectory(parent);
        StagingLeftovers.Clean(parent, name);
        var staging = Path.Combine(parent, StagingLeftovers.StagingFolder(name));
        try
        {
            Directory.CreateDirectory(staging);
            write(staging);
            var existed = Directory.Exists(target);
            if (existed) CopyMissing(target, staging, keepOld);
            FileSystemSync.FlushTree(staging);
            if (!existed)
            {
                Directory.Move(staging, target);
                FileSystemSync.Flush(parent);
                return;
            }
            var aside = Path.Combine(parent, StagingLeftovers.AsideFolder(name));
            Directory.Move(target, aside);
            try
            {
                Directory.Move(staging, target);
            }
            catch
            {
                Directory.Move(aside, target);
                throw;
            }
            FileSystemSync.Flush(parent);
            Directory.Delete(aside, recursive: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static void CopyMissing(string from, string to, Func<string, bool> keep)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(from))
        {
            var name = Path.GetFileName(entry);
            var destination = Path.Combine(to, name);
            if (Path.Exists(destination) || !keep(name)) continue;
            if (Directory.Exists(entry)) CopyMissing(entry, Directory.CreateDirectory(destination).FullName, _ => true);
            else File.Copy(entry, destination);
        }
    }
}
