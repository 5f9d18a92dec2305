using Lora.Training.Checkpoints;

namespace Lora.Training.Tests.Checkpoints;

public sealed class FileSetWriterTests
{
    private static string[] Names(string dir) =>
        [.. Directory.EnumerateFileSystemEntries(dir).Select(e => Path.GetFileName(e)!).Order(StringComparer.Ordinal)];

    /// <summary>Writes "new" files under <paramref name="names"/>; config last, shards owned.</summary>
    private static void WriteSet(string dir, params string[] names) =>
        FileSetWriter.Write(dir, staging =>
        {
            foreach (var name in names) File.WriteAllText(Path.Combine(staging, name), "new " + name);
        }, commitOrder: ["config"], previousSet: name => name.StartsWith("shard-", StringComparison.Ordinal));

    /// <summary>An earlier set of three shards, beside the user's own file, subfolder and link.</summary>
    private static void Old(string target)
    {
        Directory.CreateDirectory(Path.Combine(target, "notes"));
        foreach (var name in new[] { "shard-1", "shard-2", "shard-3", "config" }) File.WriteAllText(Path.Combine(target, name), "old");
        File.WriteAllText(Path.Combine(target, "README.md"), "mine");
        File.WriteAllText(Path.Combine(target, "notes", "a.txt"), "kept");
        Directory.CreateSymbolicLink(Path.Combine(target, "data"), Path.Combine(target, "notes"));
    }

    [Fact]
    public void Writing_into_an_existing_folder_replaces_the_set_removes_stale_shards_and_leaves_the_rest_in_place()
    {
        using var dir = new TempDirectory();
        var target = dir.File("model");
        Old(target);
        // A file the user is still writing: had the folder been copied and swapped, these later bytes would be lost.
        using (var log = new StreamWriter(Path.Combine(target, "train.log")))
        {
            log.Write("before ");
            log.Flush();
            WriteSet(target, "shard-1", "shard-2", "config");
            log.Write("after");
        }

        Assert.Equal(["README.md", "config", "data", "notes", "shard-1", "shard-2", "train.log"], Names(target));
        Assert.Equal("new shard-1", File.ReadAllText(Path.Combine(target, "shard-1")));
        Assert.Equal("new config", File.ReadAllText(Path.Combine(target, "config")));
        Assert.Equal("before after", File.ReadAllText(Path.Combine(target, "train.log")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(target, "README.md")));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(target, "notes", "a.txt")));
        Assert.NotNull(new DirectoryInfo(Path.Combine(target, "data")).LinkTarget);   // still a link, not a copy
        Assert.Equal(["model"], Names(dir.Path));   // nothing staged beside it
    }

    [Fact]
    public void A_write_that_fails_midway_leaves_an_existing_folder_exactly_as_it_was()
    {
        using var dir = new TempDirectory();
        var target = dir.File("model");
        Old(target);
        Assert.Throws<IOException>(() => FileSetWriter.Write(target, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "shard-1"), "new 1");
            throw new IOException("disk full");
        }, commitOrder: ["config"], previousSet: _ => true));

        Assert.Equal(["README.md", "config", "data", "notes", "shard-1", "shard-2", "shard-3"], Names(target));
        Assert.Equal("old", File.ReadAllText(Path.Combine(target, "shard-1")));
    }

    [Fact]
    public void A_new_folder_appears_whole_or_not_at_all()
    {
        using var dir = new TempDirectory();
        var target = dir.File(Path.Combine("nested", "model"));
        Assert.Throws<IOException>(() => FileSetWriter.Write(target, staging =>
        {
            File.WriteAllText(Path.Combine(staging, "shard-1"), "new 1");
            throw new IOException("disk full");
        }, commitOrder: ["config"]));
        Assert.Empty(Names(dir.File("nested")));

        WriteSet(target, "shard-1", "config");
        Assert.Equal(["config", "shard-1"], Names(target));
        Assert.Equal(["model"], Names(dir.File("nested")));
    }

    [Fact]
    public void A_linked_folder_is_written_through_and_the_link_survives()
    {
        using var dir = new TempDirectory();
        var real = dir.File("real");
        Old(real);
        var link = Directory.CreateSymbolicLink(dir.File("link"), real).FullName;
        WriteSet(link + "/", "shard-1", "config");

        Assert.NotNull(new DirectoryInfo(link).LinkTarget);
        Assert.Equal(["README.md", "config", "data", "notes", "shard-1"], Names(real));
        Assert.Equal("new shard-1", File.ReadAllText(Path.Combine(real, "shard-1")));
    }

    [Fact]
    public void An_existing_file_as_the_target_is_refused_before_anything_is_written()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("model"), "mine");
        var wrote = false;
        Assert.Throws<IOException>(() => FileSetWriter.Write(dir.File("model"), _ => wrote = true, commitOrder: []));
        Assert.False(wrote);
        Assert.Equal("mine", File.ReadAllText(dir.File("model")));
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
    public void Only_a_writers_own_leftovers_untouched_for_an_hour_are_removed()
    {
        using var dir = new TempDirectory();
        var id = Guid.NewGuid().ToString("N");
        foreach (var name in new[] { $".model.partial-{id}", $"model.partial-{id}", $".model.{id}.tmp" })
            Leftover(dir.File(name), stale: true);
        string[] kept =
        [
            $".model.partial-{Guid.NewGuid():N}",   // another writer's, still in progress
            "model.partial-notes",                  // not a name a writer uses
            $".other.partial-{id}",                 // another target's
            $".model.replaced-{id}",                // what an earlier version set aside: may hold the user's files
        ];
        Leftover(dir.File(kept[0]), stale: false);
        foreach (var name in kept.Skip(1)) Leftover(dir.File(name), stale: true);
        File.WriteAllText(dir.File($".config.json.{id}.tmp"), "torn");   // an atomic file write's
        File.SetLastWriteTimeUtc(dir.File($".config.json.{id}.tmp"), TwoHoursAgo);

        WriteSet(dir.File("model"), "config");   // a new folder: staged beside it, so tidies there
        AtomicFile.WriteAllText(dir.File("config.json"), "{}");
        Assert.Equal([.. kept.Append("config.json").Append("model").Order(StringComparer.Ordinal)], Names(dir.Path));

        // Staged inside the existing folder, then crashed; and another writer's, still in progress.
        var young = $".model.partial-{Guid.NewGuid():N}";
        Leftover(dir.File($"model/.model.partial-{id}"), stale: true);
        Leftover(dir.File($"model/{young}"), stale: false);
        WriteSet(dir.File("model"), "config");
        Assert.Equal([young, "config"], Names(dir.File("model")));
    }
}
