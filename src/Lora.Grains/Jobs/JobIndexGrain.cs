using Lora.Abstractions;

namespace Lora.Grains.Jobs;

/// <summary>The cluster-wide list of jobs (key 0), persisted so a restart loses none.</summary>
public sealed class JobIndexGrain(
    [PersistentState("index", AdapterGrain.StorageName)] IPersistentState<JobIndexState> index) : Grain, IJobIndexGrain
{
    public async Task Register(JobRef job)
    {
        if (index.State.Jobs.TryGetValue(job.JobId, out var existing))
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

    public Task<JobRef?> Find(string jobId) => Task.FromResult(index.State.Jobs.GetValueOrDefault(jobId));

    public Task<IReadOnlyList<JobRef>> List() => Task.FromResult<IReadOnlyList<JobRef>>(index.State.Jobs.Values.ToList());

    public async Task<bool> Remove(JobRef job)
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
