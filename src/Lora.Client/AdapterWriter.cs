using System.Text;
using Lora.Abstractions;

namespace Lora.Client;

/// <summary>Writes PEFT adapter files so that a reader never sees a half-written adapter: each file goes to a
/// temporary name in the target folder first and is then moved over the final name.</summary>
public static class AdapterWriter
{
    /// <summary>Writes adapter_model.safetensors and adapter_config.json into <paramref name="outDir"/> (created if missing).</summary>
    public static async Task<DownloadedAdapter> WriteAsync(string jobId, AdapterFiles files, string outDir, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var dir = Path.GetFullPath(outDir);
        Directory.CreateDirectory(dir);
        var weights = Path.Combine(dir, AdapterFiles.WeightsFileName);
        var config = Path.Combine(dir, AdapterFiles.ConfigFileName);
        await WriteAtomicAsync(weights, files.Safetensors, ct);
        await WriteAtomicAsync(config, Encoding.UTF8.GetBytes(files.ConfigJson), ct);
        return new DownloadedAdapter(jobId, weights, config, files.Safetensors.LongLength);
    }

    private static async Task WriteAtomicAsync(string path, byte[] content, CancellationToken ct)
    {
        // Same folder as the target so the final move is a rename on one file system.
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(content, ct);
                await stream.FlushAsync(ct);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
