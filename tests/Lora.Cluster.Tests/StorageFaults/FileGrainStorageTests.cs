using Lora.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>The embedded profile's storage on its own: atomic replace, stale writers refused, crash leftovers swept.</summary>
// In the cluster collection, so never in parallel with the cluster tests: this fixture loads another base model
// (SiloModelHost.LoadCount is process-wide, and AdapterGrainTests asserts it unchanged while 16 jobs train) and its
// silo's metrics share the process with theirs. The class fixture is still this class's own.
[Collection(ClusterCollection.Name)]
public sealed class FileGrainStorageTests(FaultyStorageFixture fixture) : IClassFixture<FaultyStorageFixture>, IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("lora-files-");
    private static readonly GrainId Grain = GrainId.Create("adapter", "tiny/job-1");

    public void Dispose() => _root.Delete(recursive: true);

    private FileGrainStorage Storage() => new(_root.FullName,
        new OrleansGrainStorageSerializer(fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<Orleans.Serialization.Serializer>()));

    private sealed class Record : IGrainState<List<int>>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public List<int> State { get; set; } = [];
        public string? ETag { get; set; }
        public bool RecordExists { get; set; }
    }

    [Fact]
    public async Task A_write_round_trips_and_a_writer_with_a_stale_etag_is_refused_without_harm()
    {
        var storage = Storage();
        var first = new Record { State = [1, 2, 3] };
        await storage.WriteStateAsync("job", Grain, first);
        var stale = new Record();
        await storage.ReadStateAsync("job", Grain, stale);
        Assert.Equal([1, 2, 3], stale.State);

        first.State.Add(4);
        await storage.WriteStateAsync("job", Grain, first);
        stale.State.Add(99);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("job", Grain, stale));
        var read = new Record();
        await storage.ReadStateAsync("job", Grain, read);
        Assert.Equal([1, 2, 3, 4], read.State);
        Assert.Empty(Directory.GetFiles(_root.FullName, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Temp_files_a_crash_left_behind_are_swept_at_start_and_never_read_as_state()
    {
        await Storage().WriteStateAsync("job", Grain, new Record { State = [7] });
        var leftover = Path.Combine(_root.FullName, "job", "deadbeef.bin.0123.tmp");
        await File.WriteAllTextAsync(leftover, "half a write");
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow - FileGrainStorage.StaleTempAge - TimeSpan.FromMinutes(1));
        var read = new Record();
        await Storage().ReadStateAsync("job", Grain, read);   // a new storage: a silo starting again
        Assert.Equal([7], read.State);
        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public async Task A_young_temp_file_is_left_alone_at_start_since_another_silo_sharing_the_folder_may_be_writing_it()
    {
        await Storage().WriteStateAsync("job", Grain, new Record { State = [7] });
        var inFlight = Path.Combine(_root.FullName, "job", "deadbeef.bin.0123.tmp");
        await File.WriteAllTextAsync(inFlight, "half a write");
        _ = Storage();
        Assert.True(File.Exists(inFlight));
    }

    [Fact]
    public async Task A_corrupt_file_is_reported_with_its_path_and_can_still_be_cleared()
    {
        var storage = Storage();
        await storage.WriteStateAsync("job", Grain, new Record { State = [1] });
        var file = Directory.GetFiles(Path.Combine(_root.FullName, "job"), "*.bin").Single();
        await File.WriteAllBytesAsync(file, [0xFF, 0x00, 0x13]);
        var record = new Record();
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => storage.ReadStateAsync("job", Grain, record));
        Assert.Contains(file, e.Message);
        await storage.ClearStateAsync("job", Grain, record);   // the ETag the failed read left names the bytes
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task A_key_too_long_for_a_hex_file_name_is_stored_under_its_hash_and_short_keys_keep_their_names()
    {
        var storage = Storage();
        var longGrain = GrainId.Create("adapter", "tiny/" + new string('j', 128));   // the longest job id allowed
        await storage.WriteStateAsync("job", longGrain, new Record { State = [5] });
        var read = new Record();
        await storage.ReadStateAsync("job", longGrain, read);
        Assert.Equal([5], read.State);
        Assert.StartsWith("sha256-", FileGrainStorage.FileNameOf(longGrain));

        // Names that always fitted stay as they were stored: nothing to migrate.
        var hex = Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(Grain.ToString())) + ".bin";
        Assert.Equal(hex, FileGrainStorage.FileNameOf(Grain));
    }
}
