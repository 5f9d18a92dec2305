using Lora.Training.Checkpoints;
using System.Security.Cryptography;
using Orleans.Runtime;
using Orleans.Storage;

namespace Lora.Grains.Storage;

/// <summary>
/// Grain state as one binary file per grain and state name under a data folder — the embedded, no-services
/// profile. Writes go to a temp file that is fsynced and renamed over the old one, so a crash mid-write leaves
/// either the old state or the new, never a torn file; the folder is fsynced after the rename too, so the rename
/// itself survives a power loss. The ETag is a content hash: a writer holding a stale ETag gets
/// <see cref="InconsistentStateException"/> instead of silently overwriting.
/// </summary>
public sealed class FileGrainStorage : IGrainStorage
{
    /// <summary>A temp file this old belongs to a write that died: writes take seconds, not hours.</summary>
    public static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);
    /// <summary>Linux's limit on one file name, in bytes (ENAMETOOLONG beyond).</summary>
    private const int MaxFileName = 255;
    /// <summary>What a write's temp file adds to the hex name: ".bin." + 32 hex digits + ".tmp".</summary>
    private const int TempSuffix = 41;

    private readonly string _root;
    private readonly IGrainStorageSerializer _serializer;

    public FileGrainStorage(string root, IGrainStorageSerializer serializer)
    {
        (_root, _serializer) = (root, serializer);
        // Temp files of writes a crash interrupted: never renamed into place, so never state; nothing else removes them.
        // Only old ones: silos may share a data folder, and a young temp file is another silo's write in flight.
        if (Directory.Exists(root))
            foreach (var stale in Directory.EnumerateFiles(root, "*.tmp", SearchOption.AllDirectories))
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(stale) > StaleTempAge)
                    try { File.Delete(stale); } catch (IOException) { }
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(stateName, grainId);
        if (!File.Exists(path))
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        var bytes = await File.ReadAllBytesAsync(path);
        // The ETag names the bytes, readable or not: a record that cannot be deserialized can still be cleared.
        grainState.ETag = ETagOf(bytes);
        grainState.RecordExists = true;
        try
        {
            grainState.State = _serializer.Deserialize<T>(new BinaryData(bytes));
        }
        catch (Exception e)
        {
            throw new InvalidDataException($"stored state '{stateName}' of {grainId} at {path} is corrupt: {e.Message}", e);
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(stateName, grainId);
        CheckETag(path, grainState.ETag, stateName, grainId);
        var bytes = _serializer.Serialize(grainState.State).ToArray();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            await stream.WriteAsync(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        FileSystemSync.Flush(Path.GetDirectoryName(path)!);
        grainState.ETag = ETagOf(bytes);
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(stateName, grainId);
        CheckETag(path, grainState.ETag, stateName, grainId);
        File.Delete(path);
        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
        return Task.CompletedTask;
    }

    private static void CheckETag(string path, string? expected, string stateName, GrainId grainId)
    {
        var current = File.Exists(path) ? ETagOf(File.ReadAllBytes(path)) : null;
        if (current != expected)
            throw new InconsistentStateException($"state '{stateName}' of {grainId} changed underneath this activation.", current ?? "", expected ?? "");
    }

    private string PathFor(string stateName, GrainId grainId) => Path.Combine(_root, stateName, FileNameOf(grainId));

    /// <summary>
    /// Keys contain '/', which must not become directories; hex keeps names portable and collision-free. A key whose
    /// hex (with the temp suffix) exceeds the file name limit is named by its SHA-256 instead: such a key could never
    /// be written under its hex name, so nothing stored moves, and the '-' of the marker never occurs in hex.
    /// </summary>
    public static string FileNameOf(GrainId grainId)
    {
        var key = System.Text.Encoding.UTF8.GetBytes(grainId.ToString());
        var hex = Convert.ToHexString(key);
        return (hex.Length + TempSuffix <= MaxFileName ? hex : "sha256-" + Convert.ToHexString(SHA256.HashData(key))) + ".bin";
    }

    private static string ETagOf(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes))[..16];
}
