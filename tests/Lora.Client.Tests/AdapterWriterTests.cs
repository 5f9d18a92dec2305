using Lora.Abstractions;
using Lora.Client;

namespace Lora.Client.Tests;

public sealed class AdapterWriterTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lora-adapter-writer-").FullName;
    private readonly AdapterFiles _new = new([1, 2, 3, 4], "{\"r\": 8}");

    [Fact]
    public async Task Writes_a_new_folder_with_both_files_and_nothing_beside_it()
    {
        var dir = Path.Combine(_root, "nested", "adapter");
        var result = await AdapterWriter.WriteAsync("job-1", _new, dir);
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(result.WeightsPath));
        Assert.Equal("{\"r\": 8}", await File.ReadAllTextAsync(result.ConfigPath));
        Assert.Equal(4, result.WeightsBytes);
        Assert.Equal([AdapterFiles.ConfigFileName, AdapterFiles.WeightsFileName], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.Equal([dir], Directory.GetFileSystemEntries(Path.GetDirectoryName(dir)!));
    }

    [Fact]
    public async Task A_new_folder_that_fails_to_write_does_not_appear()
    {
        var dir = Path.Combine(_root, "adapter");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AdapterWriter.WriteAsync("job-1", _new, dir, new CancellationToken(true)));
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task A_re_download_replaces_the_pair_and_leaves_other_files_and_folders_alone()
    {
        var dir = await OldPairAsync();
        await File.WriteAllTextAsync(Path.Combine(dir, "README.md"), "mine");
        Directory.CreateDirectory(Path.Combine(dir, "checkpoints"));
        await File.WriteAllTextAsync(Path.Combine(dir, "checkpoints", "step-10"), "kept");
        await AdapterWriter.WriteAsync("job-1", _new, dir + Path.DirectorySeparatorChar);

        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(dir, AdapterFiles.WeightsFileName)));
        Assert.Equal("{\"r\": 8}", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.ConfigFileName)));
        Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(dir, "README.md")));
        Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(dir, "checkpoints", "step-10")));
        Assert.Equal(["README.md", AdapterFiles.ConfigFileName, AdapterFiles.WeightsFileName, "checkpoints"],
            Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));   // no temporaries
        Assert.Equal([dir], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task Until_the_renames_an_existing_folder_keeps_the_old_pair_whole()
    {
        var dir = await OldPairAsync();
        var staged = await AdapterWriter.StageInPlaceAsync(_new, dir, CancellationToken.None);
        // Everything new is written and flushed under other names: a crash now leaves the old weights with their config.
        Assert.Equal("old weights", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.WeightsFileName)));
        Assert.Equal("old config", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.ConfigFileName)));
        Assert.All(staged, s => Assert.Equal(dir, Path.GetDirectoryName(s.Temp)));   // same file system: renames
        Assert.Equal(AdapterFiles.ConfigFileName, Path.GetFileName(staged[^1].Final));   // the config goes in last

        AdapterWriter.Commit(staged);
        Assert.Equal("{\"r\": 8}", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.ConfigFileName)));
        Assert.Equal(2, Directory.GetFileSystemEntries(dir).Length);
    }

    [Fact]
    public async Task A_linked_folder_is_written_through_and_the_link_survives()
    {
        var real = await OldPairAsync();
        var link = Directory.CreateSymbolicLink(Path.Combine(_root, "link"), real).FullName;
        var missing = Directory.CreateSymbolicLink(Path.Combine(_root, "later"), Path.Combine(_root, "made-later")).FullName;
        await AdapterWriter.WriteAsync("job-1", _new, link);
        await AdapterWriter.WriteAsync("job-1", _new, missing);

        Assert.NotNull(new DirectoryInfo(link).LinkTarget);
        Assert.Equal("{\"r\": 8}", await File.ReadAllTextAsync(Path.Combine(real, AdapterFiles.ConfigFileName)));
        Assert.NotNull(new DirectoryInfo(missing).LinkTarget);   // the folder was made where the link points
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(_root, "made-later", AdapterFiles.WeightsFileName)));
    }

    [Fact]
    public async Task An_existing_file_is_refused_before_any_download()
    {
        var file = Path.Combine(_root, "adapter");
        await File.WriteAllTextAsync(file, "mine");
        Assert.Contains("existing file", Assert.Throws<LoraClientException>(() => AdapterWriter.CheckTarget(file)).Message);
        Assert.Equal(Path.Combine(_root, "new"), AdapterWriter.CheckTarget(Path.Combine(_root, "new") + "/"));
        Assert.Equal("mine", await File.ReadAllTextAsync(file));
    }

    private async Task<string> OldPairAsync()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, "adapter")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, AdapterFiles.WeightsFileName), "old weights");
        await File.WriteAllTextAsync(Path.Combine(dir, AdapterFiles.ConfigFileName), "old config");
        return dir;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
