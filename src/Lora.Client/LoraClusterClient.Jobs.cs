using Lora.Abstractions;

namespace Lora.Client;

public sealed partial class LoraClusterClient
{
    /// <summary>The current status of a job; throws <see cref="LoraClientException"/> "no job 'x'" for an unknown id.</summary>
    public Task<JobStatus> GetStatusAsync(string jobId) => CallAsync(async () => Existing(await (await ResolveAsync(jobId)).GetStatus(), jobId));

    /// <summary>Statuses of the indexed jobs that can be reached now, fetched concurrently, in job id order. A job whose
    /// base model no live silo hosts is left out; <see cref="ListAllJobsAsync"/> also reports those.</summary>
    public async Task<IReadOnlyList<JobStatus>> ListJobsAsync() => (await ListAllJobsAsync()).Jobs;

    /// <summary>Every indexed job, fetched concurrently, in job id order: the statuses of the reachable ones and, for
    /// each job whose status could not be read (its base model is hosted by no live silo, say), its id, base model
    /// and the reason. One unreachable job does not hide the others.</summary>
    public async Task<JobListing> ListAllJobsAsync()
    {
        var refs = await CallAsync(_orleans.ListIndexedJobsAsync);
        var outcomes = await Task.WhenAll(refs.Select(async job =>
        {
            try { return (job, Status: await AdapterOf(job).GetStatus(), Reason: (string?)null); }
            // Placement refuses a grain whose model no silo hosts; whatever the cause, it concerns this job only.
            catch (Exception e) when (e is not OperationCanceledException) { return (job, Status: (JobStatus?)null, Reason: e.Message); }
        }));
        return new JobListing(
            outcomes.Where(o => o.Status is not null).Select(o => o.Status!).ToList(),
            outcomes.Where(o => o.Status is null).Select(o => new UnreachableJob(o.job, o.Reason!)).ToList());
    }

    /// <summary>Cancels a job; returns its status afterwards (cancelling a finished job leaves it unchanged).</summary>
    public Task<JobStatus> CancelAsync(string jobId) => CallAsync(async () => await (await ResolveAsync(jobId)).Cancel());

    /// <summary>Cancels the job if it is still running and erases everything the cluster stored for it (record,
    /// checkpoint or adapter, dataset); the id can then be reused. Throws "no job 'x'" for an unknown id.</summary>
    public Task DeleteAsync(string jobId) => CallAsync(async () => await (await ResolveAsync(jobId)).Delete());

    /// <summary>Downloads the finished adapter into <paramref name="outDir"/> as adapter_model.safetensors +
    /// adapter_config.json, the config renamed in after its weights (<see cref="AdapterWriter"/>); other files in the
    /// folder are left alone. <paramref name="ct"/> cancels only the local write: the transfer from the silo is one
    /// message that runs to its end (or its 5-minute timeout).</summary>
    public async Task<DownloadedAdapter> DownloadAdapterAsync(string jobId, string outDir, CancellationToken ct = default)
    {
        AdapterWriter.CheckTarget(outDir); // before the transfer: a path we would refuse should not cost a download
        var files = await CallAsync(async () => await (await ResolveAsync(jobId)).DownloadAdapter());
        return await AdapterWriter.WriteAsync(jobId, files, outDir, ct);
    }

    /// <summary>Generates text with the job's adapter applied to its base model (on the silo that hosts it).</summary>
    public async Task<string> GenerateAsync(string jobId, string prompt, int maxNewTokens = 32, double temperature = 0)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNewTokens, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(temperature);
        return await CallAsync(async () => await (await ResolveAsync(jobId)).Generate(prompt, maxNewTokens, temperature));
    }

    /// <summary>A grain without a stored record answers with an empty status (no steps); every real job has at least
    /// one. Such an id is indexed but gone (deleted midway, or its submission failed after reserving it): waiting on
    /// it would never end.</summary>
    private static JobStatus Existing(JobStatus status, string jobId) => status.TotalSteps > 0 ? status
        : throw new LoraClientException($"no job '{jobId}': the id is indexed but no job record is stored (deleted, or its submission failed).");

    private async Task<IAdapterGrain> ResolveAsync(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        var found = await _orleans.JobIndexFor(jobId).Find(jobId) ?? throw new LoraClientException($"no job '{jobId}'");
        return AdapterOf(found);
    }

    private IAdapterGrain AdapterOf(JobRef job) => _orleans.GetGrain<IAdapterGrain>(AdapterKeys.For(job.BaseModel, job.JobId));
}
