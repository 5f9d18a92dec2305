using Lora.Abstractions;

namespace Lora.Grains.Jobs;

/// <summary>
/// A shard of the job index (keys 1..<see cref="JobIndexShards.Count"/>), persisted so a restart loses none. A shard
/// stores only its own ids, so a submission rewrites about 1/Count of the index instead of all of it, and submissions
/// spread over Count activations. Key 0 is the single index of clusters from before sharding, kept as it was stored.
/// </summary>
public sealed class JobIndexGrain(
    [PersistentState("index", AdapterGrain.StorageName)] IPersistentState<JobIndexState> index) : Grain, IJobIndexGrain
{
    /// <summary>This shard's ids in the legacy index, taken at activation. Nothing registers there any more, so this
    /// stays complete and no request has to ask the legacy grain (an empty legacy index costs one call per activation).
    /// Calls only ever go shard → legacy: these grains are not reentrant, and a call back would deadlock.</summary>
    private readonly Dictionary<string, JobRef> _legacy = new();

    private IJobIndexGrain LegacyIndex => GrainFactory.GetGrain<IJobIndexGrain>(JobIndexShards.LegacyKey);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyLong();
        if (key == JobIndexShards.LegacyKey) return;
        foreach (var job in await LegacyIndex.ListShard(key)) _legacy[job.JobId] = job;
    }

    public async Task Register(JobRef job)
    {
        if (Lookup(job.JobId) is { } existing)
        {
            if (existing.BaseModel != job.BaseModel)
                throw new ArgumentException($"job id '{job.JobId}' is already used on base model '{existing.BaseModel}'.");
            return;
        }
        index.State.Jobs[job.JobId] = job;
        try { await index.WriteStateAsync(); }
        catch
        {
            index.State.Jobs.Remove(job.JobId);   // not stored, so not registered: a retry must write it
            throw;
        }
    }

    public Task<JobRef?> Find(string jobId) => Task.FromResult(Lookup(jobId));

    public Task<IReadOnlyList<JobRef>> List() => Task.FromResult<IReadOnlyList<JobRef>>(
        [.. index.State.Jobs.Values, .. _legacy.Values.Where(j => !index.State.Jobs.ContainsKey(j.JobId))]);

    public async Task<bool> Remove(JobRef job)
    {
        var removed = await RemoveOwn(job);
        if (_legacy.TryGetValue(job.JobId, out var legacy) && legacy.BaseModel == job.BaseModel)
        {
            await LegacyIndex.Remove(job);   // false when a retry finds it gone already: either way it is gone
            _legacy.Remove(job.JobId);
            removed = true;
        }
        return removed;
    }

    public Task<IReadOnlyList<JobRef>> ListShard(long shard) => Task.FromResult<IReadOnlyList<JobRef>>(
        index.State.Jobs.Values.Where(j => JobIndexShards.For(j.JobId) == shard).ToList());

    private JobRef? Lookup(string jobId) => index.State.Jobs.GetValueOrDefault(jobId) ?? _legacy.GetValueOrDefault(jobId);

    private async Task<bool> RemoveOwn(JobRef job)
    {
        // By id and base model: the same id may be indexed on another model (a submission that lost the race).
        if (!index.State.Jobs.TryGetValue(job.JobId, out var existing) || existing.BaseModel != job.BaseModel) return false;
        index.State.Jobs.Remove(job.JobId);
        try { await index.WriteStateAsync(); }
        catch
        {
            index.State.Jobs[job.JobId] = existing;   // still stored, so still indexed
            throw;
        }
        return true;
    }
}

[GenerateSerializer, Alias("lora.JobIndexState")]
public sealed class JobIndexState
{
    [Id(0)] public Dictionary<string, JobRef> Jobs { get; set; } = new();
}
