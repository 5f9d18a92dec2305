using Lora.Cli.Commands.Demo;

namespace Lora.Cli.Tests.Demo;

/// <summary>The demo's cluster folder: what an earlier demo left is cleared, anything else is left alone.</summary>
public sealed class DemoClusterDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lora-demo-dir-").FullName;

    [Fact]
    public void A_folder_the_demo_created_is_cleared_on_the_next_run()
    {
        var cluster = Path.Combine(_root, "cluster");
        DemoClusterDirectory.Reset(cluster);
        File.WriteAllText(Path.Combine(cluster, "old-job.json"), "{}");
        DemoClusterDirectory.Reset(cluster);
        Assert.Equal([DemoClusterDirectory.MarkerFile], Directory.GetFiles(cluster).Select(Path.GetFileName));
    }

    [Fact]
    public void A_folder_without_the_marker_is_kept()
    {
        var cluster = Path.Combine(_root, "cluster");
        Directory.CreateDirectory(cluster);
        File.WriteAllText(Path.Combine(cluster, "notes.txt"), "mine");
        Assert.Contains("--out", Assert.Throws<Lora.Cli.Output.CliException>(() => DemoClusterDirectory.Reset(cluster)).Message);
        Assert.Equal(["notes.txt"], Directory.GetFiles(cluster).Select(Path.GetFileName));
    }

    [Fact]
    public void An_empty_folder_or_one_an_earlier_demo_left_without_the_marker_is_cleared()
    {
        var empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        DemoClusterDirectory.Reset(empty);
        Assert.True(File.Exists(Path.Combine(empty, DemoClusterDirectory.MarkerFile)));

        var earlier = Path.Combine(_root, "earlier");   // what demos before the marker wrote: only file job storage
        Directory.CreateDirectory(Path.Combine(earlier, "grains", "adapter"));
        File.WriteAllText(Path.Combine(earlier, "grains", "adapter", "job.bin"), "x");
        DemoClusterDirectory.Reset(earlier);
        Assert.False(Directory.Exists(Path.Combine(earlier, "grains")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
