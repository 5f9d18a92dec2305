using System.Runtime.InteropServices;

namespace Lora.Training.Checkpoints;

/// <summary>
/// fsync by path, folders included: on Linux a rename is durable only once the folder holding the entry is flushed,
/// so without it a power loss right after an "atomic" replace can bring back the old file, or none. .NET opens no
/// handle on a folder, hence the direct libc calls.
/// </summary>
public static partial class FileSystemSync
{
    private const int ReadOnly = 0;   // O_RDONLY: enough for fsync, and the only way to open a folder

    /// <summary>Best effort, and a no-op off Linux: a caller that got here has already written its bytes, and a
    /// failed flush must not turn a completed write into an error.</summary>
    public static void Flush(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(path, ReadOnly);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    /// <summary>Every file and folder under <paramref name="dir"/>, then <paramref name="dir"/> itself.</summary>
    public static void FlushTree(string dir)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)) Flush(entry);
        Flush(dir);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
