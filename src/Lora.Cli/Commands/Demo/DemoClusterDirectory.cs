using Lora.Cli.Output;

namespace Lora.Cli.Commands.Demo;

/// <summary>The embedded silo's job state under `--out DIR`/cluster. The demo clears it on every run (see
/// <see cref="Reset"/>), so it marks the folders it creates and deletes only those: --out may point at a folder
/// whose "cluster" subfolder belongs to the user.</summary>
public static class DemoClusterDirectory
{
    public const string MarkerFile = ".lora-demo";

    /// <summary>Deletes a folder an earlier demo left and creates it afresh with the marker; throws a
    /// <see cref="CliException"/> naming the folder and --out when it exists without the marker (nothing is touched).</summary>
    public static void Reset(string clusterDir)
    {
        // The embedded cluster dies with this process (in-memory reminders), so job state left by an earlier run can
        // never be resumed; clearing it lets job ids stay short and readable ("upper-1") run after run.
        if (Directory.Exists(clusterDir))
        {
            if (!MadeByTheDemo(clusterDir))
                throw new CliException($"--out: '{clusterDir}' exists and was not created by `lora demo` (no {MarkerFile} file); "
                    + "the demo would replace it, so choose another --out or remove that folder yourself.");
            Directory.Delete(clusterDir, recursive: true);
        }
        else if (File.Exists(clusterDir))
            throw new CliException($"--out: '{clusterDir}' is a file; the demo needs that path for its cluster folder, so choose another --out.");
        Directory.CreateDirectory(clusterDir);
        File.WriteAllText(Path.Combine(clusterDir, MarkerFile), "Created by `lora demo`, which deletes this folder on its next run.\n");
    }

    /// <summary>The marker; or, from demos before it, a folder holding nothing but the file job storage ("grains");
    /// or nothing at all.</summary>
    private static bool MadeByTheDemo(string clusterDir) =>
        File.Exists(Path.Combine(clusterDir, MarkerFile))
        || Directory.EnumerateFileSystemEntries(clusterDir).All(e => Path.GetFileName(e) == "grains" && Directory.Exists(e));
}
