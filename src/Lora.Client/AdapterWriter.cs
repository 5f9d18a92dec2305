using System.Text;
using Lora.Abstractions;

namespace Lora.Client;

/// <summary>
/// Writes a PEFT adapter folder so that a reader sees the old pair of files, no folder, or the new pair — never new
/// weights beside an old adapter_config.json, which PEFT would load silently with the wrong scaling. Both files are
/// written into a temporary sibling folder, flushed to disk, and the folder is then swapped in: the old one is renamed
/// aside, the new one renamed into place, the old one deleted. Renames within one parent stay on one file system.
/// A crash between the two renames leaves the target missing and both pairs in hidden siblings (".NAME.*.old/.new").
/// </summary>
public static class AdapterWriter
{
    private static readonly string[] AdapterFileNames = [AdapterFiles.WeightsFileName, AdapterFiles.ConfigFileName];

    /// <summary>Writes adapter_model.safetensors and adapter_config.json as the folder <paramref name="outDir"/>,
    /// replacing an earlier download there. Throws <see cref="LoraClientException"/> without touching anything when
    /// the folder holds anything else, because replacing it would delete that.</summary>
    public static async Task<DownloadedAdapter> WriteAsync(string jobId, AdapterFiles files, string outDir, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var dir = CheckTarget(outDir);
        var staging = await StageAsync(files, dir, ct);
        try
        {
            ct.ThrowIfCancellationRequested();
            Swap(staging, dir);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return new DownloadedAdapter(jobId, Path.Combine(dir, AdapterFiles.WeightsFileName), Path.Combine(dir, AdapterFiles.ConfigFileName),
            files.Safetensors.LongLength);
    }

    /// <summary>Both files, flushed to disk, in a new hidden sibling of <paramref name="dir"/>; returns its path. The
    /// target is not touched.</summary>
    internal static async Task<string> StageAsync(AdapterFiles files, string dir, CancellationToken ct)
    {
        var staging = Sibling(dir, "new");
        Directory.CreateDirectory(staging);
        try
        {
            await WriteDurableAsync(Path.Combine(staging, AdapterFiles.WeightsFileName), files.Safetensors, ct);
            await WriteDurableAsync(Path.Combine(staging, AdapterFiles.ConfigFileName), Encoding.UTF8.GetBytes(files.ConfigJson), ct);
            return staging;
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>Replaces <paramref name="dir"/> (if any) by the folder <paramref name="staging"/>.</summary>
    internal static void Swap(string staging, string dir)
    {
        if (!Directory.Exists(dir))
        {
            Directory.Move(staging, dir);
            return;
        }
        var aside = Sibling(dir, "old");
        Directory.Move(dir, aside);
        try { Directory.Move(staging, dir); }
        catch
        {
            Directory.Move(aside, dir); // the old pair stays the answer
            throw;
        }
        Directory.Delete(aside, recursive: true);
    }

    /// <summary>Throws <see cref="LoraClientException"/> unless <paramref name="outDir"/> is new, empty, or holds only an
    /// adapter's two files (a re-download); returns its full path. Cheap: check before fetching the adapter.</summary>
    public static string CheckTarget(string outDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        var dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        if (Path.GetDirectoryName(dir) is null) throw new LoraClientException($"'{dir}' is a root folder: choose a folder for the adapter.");
        if (!Directory.Exists(dir)) return dir;
        var foreign = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName)
            .Where(name => !AdapterFileNames.Contains(name) || Directory.Exists(Path.Combine(dir, name!))).Order().ToList();
        if (foreign.Count > 0)
            throw new LoraClientException($"'{dir}' holds files other than an adapter's ({string.Join(", ", foreign.Take(3))}" +
                $"{(foreign.Count > 3 ? ", …" : "")}); the download replaces the whole folder, so choose an empty or new one.");
        // Renaming the working folder aside would strand this process (and the user's shell) in a deleted folder.
        var cwd = Path.TrimEndingDirectorySeparator(Environment.CurrentDirectory);
        if (cwd == dir || cwd.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new LoraClientException($"'{dir}' is the current folder: the download replaces the whole folder, so choose a subfolder.");
        return dir;
    }

    private static string Sibling(string dir, string role) =>
        Path.Combine(Path.GetDirectoryName(dir)!, $".{Path.GetFileName(dir)}.{Guid.NewGuid():N}.{role}");

    private static async Task WriteDurableAsync(string path, byte[] content, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
        await stream.WriteAsync(content, ct);
        await stream.FlushAsync(ct);
        stream.Flush(flushToDisk: true);
    }
}
