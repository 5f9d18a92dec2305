using Lora.Training.Checkpoints;

namespace Lora.Training.Tests.Checkpoints;

public sealed class DirectorySwapTests
{
    private static string[] Names(string dir) =>
        [.. Directory.EnumerateFileSystemEntries(dir).Select(e => Path.GetFileName(e)!).Order(StringComparer.Ordinal)];

    private static void Old(string target)
    {
        Directory.CreateDirectory(Path.Combine(target, "notes"));
        File.WriteAllText(Path.Combine(target, "shard-1"), "old 1");
        File.WriteAllText(Path.Combine(target, "shard-2"), "old 2");
        File.WriteAllText(Path.Combine(target, "README.md"), "mine");
        File.WriteAllText(Path.Combine(target, "notes", "a.txt"), "kept");
    }

    [Fact]
    public void The_new_set_replaces_the_old_one_whole_keeping_only_accepted_old_entries()
    {
        using var dir = new TempDirectory();
        var target = dir.File("model");
        Old(target);
        DirectorySwap.Replace(target, staging => File.WriteAllText(Path.Combine(staging, "shard-1"), "new 1"),
            keepOld: name => !name.StartsWith("shard-", StringComparison.Ordinal));

        Assert.Equal(["README.md", "notes", "shard-1"], Names(target));
        Assert.Equal("new 1", File.ReadAllText(Path.Combine(target, "shard-1")));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(target, "notes", "a.txt")));
        Assert.Equal(["model"], Names(dir.Path));   // no staging or replaced copy left beside it
    }

    [Fact]
    public void A_write_that_fails_midway_leaves_the_old_folder_exactly_as_it_was()
    {
        using var dir = new TempDirectory();
        var target = dir.File("model");
        Old(target);
        Assert.Throws<IOException>(() => DirectorySwap.Replace(target, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "shard-1"), "new 1");
            throw new IOException("disk full");
        }, keepOld: _ => true));

        Assert.Equal(["README.md", "notes", "shard-1", "shard-2"], Names(target));
        Assert.Equal("old 1", File.ReadAllText(Path.Combine(target, "shard-1")));
        Assert.Equal(["model"], Names(dir.Path));
    }

    [Fact]
    public void A_link_to_the_folder_keeps_working_and_shows_the_new_content()
    {
        using var dir = new TempDirectory();
        var real = dir.File("real");
        Old(real);
        var link = Directory.CreateSymbolicLink(dir.File("link"), real).FullName;
        DirectorySwap.Replace(link, staging => File.WriteAllText(Path.Combine(staging, "shard-1"), "new 1"), keepOld: _ => false);

        Assert.NotNull(new DirectoryInfo(link).LinkTarget);
        Assert.Equal(["shard-1"], Names(real));
    }

    private static readonly DateTime TwoHoursAgo = DateTime.UtcNow.AddHours(-2);

    private static void Leftover(string path, bool stale)
    {
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "weights"), "x");
        if (!stale) return;
        File.SetLastWriteTimeUtc(Path.Combine(path, "weights"), TwoHoursAgo);
        Directory.SetLastWriteTimeUtc(path, TwoHoursAgo);
    }

    [Fact]
    public void Leftovers_of_crashed_writes_untouched_for_an_hour_are_removed_before_the_next_write()
    {
        using var dir = new TempDirectory();
        Old(dir.File("model"));
        var id = Guid.NewGuid().ToString("N");
        foreach (var name in new[] { $".model.partial-{id}", $"model.partial-{id}", $".model.{id}.tmp", $".model.replaced-{id}" })
            Leftover(dir.File(name), stale: true);
        string[] kept = [$".model.partial-{Guid.NewGuid():N}", "model.partial-notes", $".other.partial-{id}"];
        Leftover(dir.File(kept[0]), stale: false);   // another writer's, still in progress
        Leftover(dir.File(kept[1]), stale: true);    // not a name a writer uses
        Leftover(dir.File(kept[2]), stale: true);    // another target's
        File.WriteAllText(dir.File($".config.json.{id}.tmp"), "torn");   // an atomic file write's
        File.SetLastWriteTimeUtc(dir.File($".config.json.{id}.tmp"), TwoHoursAgo);

        DirectorySwap.Replace(dir.File("model"), staging => File.WriteAllText(Path.Combine(staging, "w"), "new"), keepOld: _ => false);
        AtomicFile.WriteAllText(dir.File("config.json"), "{}");

        Assert.Equal([.. kept.Append("config.json").Append("model").Order(StringComparer.Ordinal)], Names(dir.Path));
    }

    [Fact]
    public void A_replaced_copy_is_kept_while_its_target_is_missing()
    {
        // A crash between the swap's two renames leaves the old folder aside and none in place: it is the only copy.
        using var dir = new TempDirectory();
        var aside = dir.File($".model.replaced-{Guid.NewGuid():N}");
        Leftover(aside, stale: true);
        DirectorySwap.Replace(dir.File("model"), staging => File.WriteAllText(Path.Combine(staging, "w"), "new"), keepOld: _ => true);
        Assert.True(Directory.Exists(aside));
    }
}
