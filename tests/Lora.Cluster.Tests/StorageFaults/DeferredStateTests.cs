using Lora.Grains.Jobs;
using Lora.Grains.Storage;
using Orleans.Runtime;
using Orleans.Storage;

namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>A deferred record's reads, writes and clears racing on one activation: one read serves all, and a read
/// that storage answers late never brings back a record a write or clear has replaced.</summary>
public sealed class DeferredStateTests
{
    private static readonly GrainId Grain = GrainId.Create("adapter", "tiny/job-1");

    [Fact]
    public async Task Concurrent_first_reads_share_one_storage_read()
    {
        var storage = new HeldStorage { Stored = "{}", ETag = "e1" };
        var state = new DeferredState<AdapterDatasetState>(storage, "dataset", Grain);
        storage.HoldReads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var reads = Enumerable.Range(0, 3).Select(_ => state.ReadAsync()).ToList();
        storage.HoldReads.SetResult();
        var results = await Task.WhenAll(reads);

        Assert.Equal(1, storage.Reads);
        Assert.All(results, r => Assert.Equal("{}", r.Jsonl));
    }

    [Fact]
    public async Task A_read_answered_after_a_clear_does_not_bring_the_cleared_record_back()
    {
        var storage = new HeldStorage { Stored = "old", ETag = "e1" };
        var state = new DeferredState<AdapterDatasetState>(storage, "dataset", Grain);
        storage.HoldReads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = state.ReadAsync();   // sees the record as it is now, answers later
        state.Forget();   // as after a failed submit: storage is uncertain, the clear reads it afresh
        storage.HoldReads = null;

        await state.ClearAsync();
        Assert.Null(storage.Stored);
        storage.Release();
        await late;

        Assert.Equal("", (await state.ReadAsync()).Jsonl);
        await state.WriteAsync(new AdapterDatasetState { Jsonl = "new" });   // refused if the old ETag had come back
        Assert.Equal("new", storage.Stored);
    }

    /// <summary>One record whose reads can be held: a held read answers with what storage held when it began, as a
    /// slow Redis reply does. Clears leave the state object alone, as Redis' do.</summary>
    private sealed class HeldStorage : IGrainStorage
    {
        private readonly List<TaskCompletionSource> _held = [];
        public string? Stored { get; set; }
        public string? ETag { get; set; }
        public int Reads { get; private set; }
        public TaskCompletionSource? HoldReads { get; set; }

        public void Release()
        {
            foreach (var h in _held) h.TrySetResult();
        }

        public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            Reads++;
            var (stored, etag) = (Stored, ETag);
            if (HoldReads is { } hold)
            {
                _held.Add(hold);
                await hold.Task;
            }
            grainState.State = (T)(object)new AdapterDatasetState { Jsonl = stored ?? "" };
            (grainState.ETag, grainState.RecordExists) = (etag, stored is not null);
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            Check(grainState.ETag);
            (Stored, ETag) = (((AdapterDatasetState)(object)grainState.State!).Jsonl, Guid.NewGuid().ToString("N"));
            (grainState.ETag, grainState.RecordExists) = (ETag, true);
            return Task.CompletedTask;
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            Check(grainState.ETag);
            (Stored, ETag) = (null, null);
            (grainState.ETag, grainState.RecordExists) = (null, false);
            return Task.CompletedTask;
        }

        private void Check(string? etag)
        {
            if (etag != ETag) throw new InconsistentStateException("stale etag", ETag ?? "", etag ?? "");
        }
    }
}
