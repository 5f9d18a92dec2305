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
    public async Task A_re_download_replaces_the_earlier_pair_and_leaves_no_temporaries()
    {
        var dir = await OldPairAsync();
        await AdapterWriter.WriteAsync("job-1", _new, dir + Path.DirectorySeparatorChar);
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(dir, AdapterFiles.WeightsFileName)));
        Assert.Equal("{\"r\": 8}", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.ConfigFileName)));
        Assert.Equal([dir], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task Until_the_swap_the_folder_keeps_the_old_pair_whole()
    {
        var dir = await OldPairAsync();
        var staging = await AdapterWriter.StageAsync(_new, dir, CancellationToken.None);
        // Everything new is written, flushed and outside the folder: a crash now leaves the old weights with their config.
        Assert.Equal("old weights", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.WeightsFileName)));
        Assert.Equal("old config", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.ConfigFileName)));
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(staging, AdapterFiles.WeightsFileName)));
        Assert.Equal(_root, Path.GetDirectoryName(staging));

        AdapterWriter.Swap(staging, dir);
        Assert.Equal("{\"r\": 8}", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.ConfigFileName)));
        Assert.Equal([dir], Directory.GetFileSystemEntries(_root));
    }

    [Theory]
    [InlineData("notes.txt")]
    [InlineData("README.md")]
    public async Task A_folder_with_other_files_is_refused_and_left_alone(string other)
    {
        var dir = await OldPairAsync();
        await File.WriteAllTextAsync(Path.Combine(dir, other), "mine");
        var e = await Assert.ThrowsAsync<LoraClientException>(() => AdapterWriter.WriteAsync("job-1", _new, dir));
        Assert.Contains(other, e.Message);
        Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(dir, other)));
        Assert.Equal("old weights", await File.ReadAllTextAsync(Path.Combine(dir, AdapterFiles.WeightsFileName)));
        Assert.Equal([dir], Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public void A_folder_with_a_subfolder_is_refused_before_any_download()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_root, "out", "checkpoints")).Parent!.FullName;
        Assert.Contains("checkpoints", Assert.Throws<LoraClientException>(() => AdapterWriter.CheckTarget(dir)).Message);
        Assert.Equal(Path.Combine(_root, "new"), AdapterWriter.CheckTarget(Path.Combine(_root, "new")));
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
