namespace Lora.Training.Checkpoints;

/// <summary>
/// Writes a file so that readers see either the old complete file or the new complete one, never a torn one:
/// the content goes to a fresh temp file in the same directory (same file system, so the move is a rename),
/// is flushed to disk, then replaces the target, and the directory is flushed so the rename survives a power loss.
/// A fresh file also means no stale tail from a longer old file.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> writeContent)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        StagingLeftovers.Clean(dir, Path.GetFileName(full));
        var temp = Path.Combine(dir, StagingLeftovers.TempFile(Path.GetFileName(full)));
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            FileSystemSync.Flush(dir);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        var bytes = content.ToArray();
        Write(path, s => s.Write(bytes));
    }

    public static void WriteAllText(string path, string content) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(content));
}
