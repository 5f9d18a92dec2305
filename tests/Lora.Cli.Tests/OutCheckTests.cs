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

    [Theory]
    [InlineData("train-local", "")]
    [InlineData("export-merged", "")]
    [InlineData("train-local", "new")]
    [InlineData("export-merged", "new")]
    public async Task An_out_in_a_read_only_folder_fails_up_front(string command, string below)
    {
        if (OperatingSystem.IsWindows()) return;   // the folder is made read-only by its POSIX mode
        var folder = Directory.CreateDirectory(Path.Combine(workspace.Root, $"read-only-{command}-{below}")).FullName;
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            if (Writable(folder)) return;   // root ignores permissions: nothing to test as root
            var line = (await Run(command, Path.Combine(folder, below))).SingleErrorLine();
            Assert.Contains("--out", line);
            Assert.Contains("permission denied", line);
        }
        finally
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>100000 steps: had training started before the check, the test would time out instead of failing fast.</summary>
    private Task<CliRun> Run(string command, string outDir) => command == "train-local"
        ? CliRun.RunAsync("train-local", "--model", workspace.ModelDir, "--data", workspace.DataFile, "--out", outDir,
            "--steps", "100000", "--threads", "1")
        : CliRun.RunAsync("export-merged", "--model", workspace.ModelDir, "--adapter", workspace.AdapterDir, "--out", outDir);

    private static bool Writable(string folder)
    {
        try
        {
            File.WriteAllText(Path.Combine(folder, "probe"), "");
            File.Delete(Path.Combine(folder, "probe"));
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
