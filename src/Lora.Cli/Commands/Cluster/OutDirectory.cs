using Lora.Client;

namespace Lora.Cli.Commands.Cluster;

/// <summary>Up-front checks of an output-directory flag (`download --out`, `train-local --out`, `export-merged
/// --out`): the write happens only after a download, a whole training run or a merge, too late to learn that the
/// path was unusable.</summary>
public static class OutDirectory
{
    /// <summary>Throws <see cref="LoraClientException"/> naming <paramref name="flag"/> and the reason unless
    /// <paramref name="path"/> is a writable folder, or a missing one whose nearest existing ancestor is a writable
    /// folder (where it will be created).</summary>
    public static string Check(string flag, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new LoraClientException($"{flag} must name a directory (got '{path}').");
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        // A link to a folder not made yet is fine: the writers create it where the link points.
        full = new FileInfo(full).LinkTarget is null ? full : new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new LoraClientException(existing == full ? $"{flag}: '{path}' is an existing file, not a directory."
                    : $"{flag}: '{path}' cannot be created: '{existing}' is a file.");
            existing = Path.GetDirectoryName(existing)!;   // the root always exists, so the walk ends there
        }
        if (CannotWrite(existing) is { } reason)
            throw new LoraClientException(existing == full
                ? $"{flag}: cannot write in '{path}' ({reason})."
                : $"{flag}: '{path}' cannot be created in '{existing}' ({reason}).");
        return path;
    }

    /// <summary>Why no file can be created in <paramref name="dir"/>, or null if one can. Tried rather than read from
    /// permission bits: read-only mounts, ACLs and root's exemption only show in the attempt.</summary>
    private static string? CannotWrite(string dir)
    {
        try
        {
            using var probe = new FileStream(Path.Combine(dir, $".lora-write-check-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
                FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return "permission denied";
        }
        catch (IOException e)
        {
            return e.Message.Split(" : '", 2)[0];   // .NET appends our probe's path, which would only confuse
        }
    }
}
