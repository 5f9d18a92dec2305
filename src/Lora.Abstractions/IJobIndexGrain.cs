namespace Lora.Abstractions;

/// <summary>The cluster's list of jobs (key 0): maps a job id to its base model so clients can address it by id.</summary>
[Alias("lora.IJobIndexGrain")]
public interface IJobIndexGrain : IGrainWithIntegerKey
{
    [Alias("Register")]
    Task Register(JobRef job);

    [Alias("Find")]
    Task<JobRef?> Find(string jobId);

    [Alias("List")]
    Task<IReadOnlyList<JobRef>> List();

    /// <summary>Forgets a deleted job; false unless the id was indexed on that base model.</summary>
    [Alias("Remove")]
    Task<bool> Remove(JobRef job);
}
