using Lora.Abstractions;
using Lora.Client;

namespace Lora.Client.Tests;

/// <summary>Changes the process's working folder, so nothing else may run meanwhile.</summary>
[CollectionDefinition(nameof(WorkingDirectoryTests), DisableParallelization = true)]
public sealed class WorkingDirectoryCollection;

[Collection(nameof(WorkingDirectoryTests))]
public sealed class WorkingDirectoryTests
{
    [Fact]
    public async Task Downloading_into_the_current_folder_writes_there_and_leaves_the_shell_where_it_was()
    {
        var dir = Directory.CreateTempSubdirectory("lora-cwd-").FullName;
        var before = Environment.CurrentDirectory;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "notes.txt"), "mine");
            Environment.CurrentDirectory = dir;
            await AdapterWriter.WriteAsync("job-1", new AdapterFiles([1, 2], "{}"), ".");
            // Written in, not replaced: the working folder still exists (getcwd would fail otherwise) and holds both.
            Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(Environment.CurrentDirectory, AdapterFiles.ConfigFileName)));
            Assert.Equal("mine", await File.ReadAllTextAsync("notes.txt"));
        }
        finally
        {
            Environment.CurrentDirectory = before;
            Directory.Delete(dir, recursive: true);
        }
    }
}
