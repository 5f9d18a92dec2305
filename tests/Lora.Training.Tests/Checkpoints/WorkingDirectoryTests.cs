using Lora.Training.Checkpoints;

namespace Lora.Training.Tests.Checkpoints;

/// <summary>Changes the process's working folder, so nothing else may run meanwhile.</summary>
[CollectionDefinition(nameof(WorkingDirectoryTests), DisableParallelization = true)]
public sealed class WorkingDirectoryCollection;

[Collection(nameof(WorkingDirectoryTests))]
public sealed class WorkingDirectoryTests
{
    [Fact]
    public void Writing_a_set_into_the_current_folder_leaves_the_shell_where_it_was()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("README.md"), "mine");
        var before = Environment.CurrentDirectory;
        Environment.CurrentDirectory = dir.Path;
        try
        {
            FileSetWriter.Write(".", staging => File.WriteAllText(Path.Combine(staging, "config"), "new"), commitOrder: ["config"]);
            // The folder was written in, not replaced: the working folder still exists and sees the files.
            Assert.Equal("new", File.ReadAllText("config"));
            Assert.Equal("mine", File.ReadAllText("README.md"));
            Assert.True(Directory.Exists(Environment.CurrentDirectory));
        }
        finally
        {
            Environment.CurrentDirectory = before;
        }
    }
}
