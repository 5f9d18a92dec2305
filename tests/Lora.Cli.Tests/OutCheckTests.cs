using System.Runtime.Versioning;

namespace Lora.Cli.Tests;

/// <summary>`--out` of train-local and export-merged is checked before the hours of work whose result it receives.</summary>
[Collection(TinyWorkspaceCollection.Name)]
public sealed class OutCheckTests(TinyWorkspace workspace)
{
    [Theory]
    [InlineData("train-local")]
    [InlineData("export-merged")]
    public async Task An_out_under_a_file_fails_up_front_naming_out_and_the_file(string command)
    {
        var file = Path.Combine(workspace.Root, $"{command}-file.txt");
        await File.WriteAllTextAsync(file, "keep");
        var line = (await Run(command, Path.Combine(file, "adapter"))).SingleErrorLine();
        Assert.Contains($"--out: '{Path.Combine(file, "adapter")}' cannot be created: '{file}' is a file", line);
        Assert.Equal("keep", await File.ReadAllTextAsync(file));
    }

    [TheoryWithPermissions]
    [InlineData("train-local", "")]
    [InlineData("export-merged", "")]
    [InlineData("train-local", "new")]
    [InlineData("export-merged", "new")]
    [UnsupportedOSPlatform("windows")]   // skipped there by the attribute: the folder is made read-only by its POSIX mode
    public async Task An_out_in_a_read_only_folder_fails_up_front(string command, string below)
    {
        // Read-only for everyone (r-x): as root, lora runs as nobody, who must still reach the model and data.
        Unprivileged.OpenToOthers(workspace.Root);
        var folder = Directory.CreateDirectory(Path.Combine(workspace.Root, $"read-only-{command}-{below}")).FullName;
        const UnixFileMode readOnly = UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(folder, readOnly);
        try
        {
            var line = (await Run(command, Path.Combine(folder, below), Unprivileged.RunAsync)).SingleErrorLine();
            Assert.Contains("--out", line);
            Assert.Contains("permission denied", line);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        }
        finally
        {
            File.SetUnixFileMode(folder, readOnly | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Ten million steps: had training started before the check, the hang guard would cancel it long before
    /// the end, and the error line would be the cancellation.</summary>
    private Task<CliRun> Run(string command, string outDir, Func<string[], Task<CliRun>>? lora = null) => (lora ?? CliRun.RunGuardedAsync)(
        command == "train-local"
            ? ["train-local", "--model", workspace.ModelDir, "--data", workspace.DataFile, "--out", outDir, "--steps", "10000000", "--threads", "1"]
            : ["export-merged", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir, "--out", outDir]);
}
