namespace Lora.Training.Checkpoints;

/// <summary>
/// Writes a set of files that are only valid together (a model's shards, index and config; an adapter's weights and
/// config) into a user-chosen folder, without ever moving or copying that folder: it may be a mount point, the current
/// folder, or hold the user's own files, links and subfolders, which all stay untouched.
/// <para>A missing folder is built whole in a hidden sibling, flushed, and renamed into place: it appears complete
/// or not at all. In an existing folder every new file is first written and flushed under a hidden staging folder
/// inside it (same file system, so moving a file out is a rename); only then are the files renamed over their final
/// names, the commit file last. A failure before that leaves the old set as it was. A crash during the renames
/// themselves — a few metadata operations, no data written — can leave some new files beside old ones; rerunning
/// the write repairs it.</para>
/// </summary>
internal static class FileSetWriter
{
    /// <summary>
    /// Writes the files <paramref name="write"/> creates (directly in the folder it is given) as
    /// <paramref name="dir"/>'s set. Names in <paramref name="commitOrder"/> are renamed last, in that order, the
    /// final one being what readers look at to know the set is complete. Files of an earlier set that
    /// <paramref name="previousSet"/> claims but the new set lacks (stale shards) are deleted before that commit
    /// file, so once it is in place the folder holds the new set alone. A <paramref name="dir"/> that is a symbolic
    /// link is written through.
    /// </summary>
    public static void Write(string dir, Action<string> write, IReadOnlyList<string> commitOrder, Func<string, bool>? previousSet = null)
    {
        var target = RealPath.Of(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
        if (File.Exists(target)) throw new IOException($"'{dir}' is a file, not a folder.");
        var name = Path.GetFileName(target);
        if (Directory.Exists(target))
        {
            StagingLeftovers.Clean(target, name);
            Stage(Path.Combine(target, StagingLeftovers.StagingFolder(name)), write,
                staging => Commit(staging, target, commitOrder, previousSet ?? (_ => false)));
            return;
        }
        var parent = Path.GetDirectoryName(target)!;   // a root folder always exists, so this one has a parent
        Directory.CreateDirectory(parent);
        StagingLeftovers.Clean(parent, name);
        Stage(Path.Combine(parent, StagingLeftovers.StagingFolder(name)), write, staging =>
        {
            Directory.Move(staging, target);
            FileSystemSync.Flush(parent);
        });
    }

    private static void Stage(string staging, Action<string> write, Action<string> commit)
    {
        try
        {
            Directory.CreateDirectory(staging);
            write(staging);
            FileSystemSync.FlushTree(staging);
            commit(staging);
        }
        finally
        {
            RemoveStaging(staging);
        }
    }

    private static void Commit(string staging, string target, IReadOnlyList<string> commitOrder, Func<string, bool> previousSet)
    {
        var names = Directory.EnumerateFiles(staging).Select(f => Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal);
        var order = names.Where(n => !commitOrder.Contains(n)).Order(StringComparer.Ordinal)
            .Concat(commitOrder.Where(names.Contains)).ToList();
        foreach (var name in order.SkipLast(1)) File.Move(Path.Combine(staging, name), Path.Combine(target, name), overwrite: true);
        // Before the commit file: a stale model.safetensors left after it would shadow the new shards for good.
        var stale = Directory.GetFiles(target).Where(f => previousSet(Path.GetFileName(f)) && !names.Contains(Path.GetFileName(f)));
        foreach (var file in stale.ToList()) File.Delete(file);
        if (order.Count > 0) File.Move(Path.Combine(staging, order[^1]), Path.Combine(target, order[^1]), overwrite: true);
        FileSystemSync.Flush(target);
    }

    /// <summary>Best effort: after a completed write a staging folder that will not go is only clutter (the next
    /// write's <see cref="StagingLeftovers.Clean"/> takes it), and after a failed one the failure is the news.</summary>
    private static void RemoveStaging(string staging)
    {
        try
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // See above: nothing the caller could act on.
        }
    }
}
