using System.Text;
using Lora.Abstractions;

namespace Lora.Client;

/// <summary>
/// Writes a PEFT adapter's two files so that adapter_config.json never describes weights that are not there — PEFT
/// would load new weights with an old config silently, at the wrong scaling. The folder itself is never moved or
/// copied: it may be a mount point, the current folder, or hold the user's other files, which stay untouched.
/// <para>A missing folder is built whole in a hidden sibling and renamed into place. In an existing one both files
/// are first written and flushed under hidden temporary names inside it (same file system, so the final step is a
/// rename); then the weights are renamed over theirs and the config last. A failure before that leaves the old pair;
/// a crash in the instant between the two renames can leave new weights with the old config, and downloading again
/// repairs it.</para>
/// </summary>
public static class AdapterWriter
{
    /// <summary>Writes adapter_model.safetensors and adapter_config.json into <paramref name="outDir"/> (created if
    /// missing, written through if it is a symbolic link), replacing an earlier download there.</summary>
    public static async Task<DownloadedAdapter> WriteAsync(string jobId, AdapterFiles files, string outDir, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var dir = CheckTarget(outDir);
        var real = ThroughLink(dir);
        if (Directory.Exists(real)) await ReplaceAsync(files, real, ct);
        else await CreateAsync(files, real, ct);
        return new DownloadedAdapter(jobId, Path.Combine(dir, AdapterFiles.WeightsFileName), Path.Combine(dir, AdapterFiles.ConfigFileName),
            files.Safetensors.LongLength);
    }

    private static async Task CreateAsync(AdapterFiles files, string dir, CancellationToken ct)
    {
        var parent = Path.GetDirectoryName(dir)!;   // a root folder always exists, so this one has a parent
        var staging = Directory.CreateDirectory(Path.Combine(parent, $".{Path.GetFileName(dir)}.partial-{Guid.NewGuid():N}")).FullName;
        try
        {
            foreach (var (name, bytes) in Content(files)) await WriteDurableAsync(Path.Combine(staging, name), bytes, ct);
            ct.ThrowIfCancellationRequested();
            Directory.Move(staging, dir);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static async Task ReplaceAsync(AdapterFiles files, string dir, CancellationToken ct)
    {
        var staged = await StageInPlaceAsync(files, dir, ct);
        try
        {
            ct.ThrowIfCancellationRequested();
            Commit(staged);
        }
        finally
        {
            foreach (var (temp, _) in staged) File.Delete(temp);   // none left after a commit
        }
    }

    /// <summary>Both files written and flushed under hidden temp names inside the existing <paramref name="dir"/>;
    /// returns them with their final paths, weights first. The adapter already there is not touched.</summary>
    internal static async Task<IReadOnlyList<(string Temp, string Final)>> StageInPlaceAsync(AdapterFiles files, string dir, CancellationToken ct)
    {
        var content = Content(files);
        var staged = content.Select(c => (Temp: Path.Combine(dir, $".{c.Name}.{Guid.NewGuid():N}.tmp"), Final: Path.Combine(dir, c.Name))).ToList();
        try
        {
            for (var i = 0; i < staged.Count; i++) await WriteDurableAsync(staged[i].Temp, content[i].Bytes, ct);
            return staged;
        }
        catch
        {
            foreach (var (temp, _) in staged) File.Delete(temp);
            throw;
        }
    }

    /// <summary>Renames the staged files over their final names in order: the config last, after its weights.</summary>
    internal static void Commit(IReadOnlyList<(string Temp, string Final)> staged)
    {
        foreach (var (temp, final) in staged) File.Move(temp, final, overwrite: true);
    }

    /// <summary>Throws <see cref="LoraClientException"/> when <paramref name="outDir"/> is an existing file; returns
    /// its full path. Cheap: check before fetching the adapter.</summary>
    public static string CheckTarget(string outDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        var dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        if (File.Exists(ThroughLink(dir))) throw new LoraClientException($"'{dir}' is an existing file, not a folder for the adapter.");
        return dir;
    }

    /// <summary>Where a link named <paramref name="dir"/> leads (even to a folder not created yet), so a new folder is
    /// made at the link's target instead of replacing the link; links further up resolve by themselves.</summary>
    private static string ThroughLink(string dir) =>
        new DirectoryInfo(dir).LinkTarget is null ? dir : new DirectoryInfo(dir).ResolveLinkTarget(returnFinalTarget: true)!.FullName;

    private static (string Name, byte[] Bytes)[] Content(AdapterFiles files) =>
        [(AdapterFiles.WeightsFileName, files.Safetensors), (AdapterFiles.ConfigFileName, Encoding.UTF8.GetBytes(files.ConfigJson))];

    private static async Task WriteDurableAsync(string path, byte[] content, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
        await stream.WriteAsync(content, ct);
        await stream.FlushAsync(ct);
        stream.Flush(flushToDisk: true);
    }
}
