using System.Runtime.InteropServices;

namespace Lora.Grains.Storage;

/// <summary>fsync of a folder: on Linux a rename is durable only once its directory entry is flushed, so without it
/// a power loss right after an "atomic" replace can bring back the old file (or none).</summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;   // O_RDONLY

    /// <summary>Best effort, and a no-op off Linux: the renamed file's own bytes are already on disk.</summary>
    public static void Flush(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(dir, ReadOnly);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
