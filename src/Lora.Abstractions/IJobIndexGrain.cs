namespace Lora.Abstractions;

/// <summary>
/// One shard of the cluster's job index (<see cref="JobIndexShards"/>): maps the job ids that hash to it to their base
/// models, so clients can address a job by id. A shard also answers for its ids in the legacy index (key 0, the single
/// index of clusters from before sharding), which it reads once at activation: nothing writes there any more.
/// </summary>
[Alias("lora.IJobIndexGrain")]
public interface IJobIndexGrain : IGrainWithIntegerKey
{
    /// <summary>Reserves the id for its base model; fails if it is indexed on another one (legacy index included).</summary>
    [Alias("Register")]
    Task Register(JobRef job);

    [Alias("Find")]
    Task<JobRef?> Find(string jobId);

    /// <summary>This shard's jobs, its legacy ones included.</summary>
    [Alias("List")]
    Task<IReadOnlyList<JobRef>> List();

    /// <summary>Forgets a deleted job, here and in the legacy index; false unless the id was indexed on that base model.</summary>
    [Alias("Remove")]
    Task<bool> Remove(JobRef job);

    /// <summary>The entries of this index whose ids belong to a shard: what a shard takes over from the legacy index.</summary>
    [Alias("ListShard")]
    Task<IReadOnlyList<JobRef>> ListShard(long shard);
}
