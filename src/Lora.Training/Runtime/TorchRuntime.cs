using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Lora.Training.Runtime;

/// <summary>
/// Makes TorchSharp loadable with no manual step. Where the shipped native library loads, nothing is touched;
/// where it fails only because the system libstdc++ is older than the one TorchSharp was built against (Debian 12),
/// a copy with that one version requirement weakened is written next to the original and loaded first, so
/// TorchSharp's own load resolves to it (same soname).
/// </summary>
public static class TorchRuntime
{
    private const string NativeName = "libLibTorchSharp.so";
    private const string PatchedName = "libLibTorchSharp.glibcxx-weak.so";
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private static readonly Lock Gate = new();
    private static bool _ready;

    /// <summary>How the native library was loaded: "as-shipped", "patched-copy", or "platform-default".</summary>
    public static string LoadMode { get; private set; } = "not-loaded";

#pragma warning disable CA2255 // A library is the only place that runs before every torch call of its users.
    [ModuleInitializer]
    internal static void InitializeOnAssemblyLoad() => EnsureLoaded();
#pragma warning restore CA2255

    /// <summary>Idempotent; call before the first torch operation in a process.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_ready) return;
            _ready = true;
            if (!OperatingSystem.IsLinux()) { LoadMode = "platform-default"; return; }

            var original = FindNative();
            if (original is null) { LoadMode = "platform-default"; return; }
            if (NativeLibrary.TryLoad(original, out _)) { LoadMode = "as-shipped"; return; }

            var patched = Path.Combine(Path.GetDirectoryName(original)!, PatchedName);
            if (!File.Exists(patched) || File.GetLastWriteTimeUtc(patched) < File.GetLastWriteTimeUtc(original))
            {
                var image = ElfVersionPatcher.WeakenVersionRequirement(File.ReadAllBytes(original), MissingVersion);
                if (image is null) { LoadMode = "platform-default"; return; }
                var temp = patched + "." + Environment.ProcessId + ".tmp";
                File.WriteAllBytes(temp, image);
                File.Move(temp, patched, overwrite: true);
            }
            NativeLibrary.Load(patched);
            LoadMode = "patched-copy";
        }
    }

    /// <summary>Resolves a device setting: "cpu", "cuda", "cuda:N" or "auto" (CUDA when available).</summary>
    public static torch.Device ResolveDevice(string setting)
    {
        EnsureLoaded();
        var s = (setting ?? "auto").Trim().ToLowerInvariant();
        if (s == "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (s == "cpu") return torch.CPU;
        if (s.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException($"device '{setting}': CUDA is not available in this build or on this machine (build with -p:TorchBackend=cuda on a GPU node).");
            return new torch.Device(s);
        }
        throw new ArgumentException($"device '{setting}' is not one of cpu, cuda, cuda:N, auto.");
    }

    private static string? FindNative()
    {
        var baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, NativeName),
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", NativeName),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }
}
