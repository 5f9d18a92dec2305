namespace Lora.Client;

/// <summary>Some jobs of a start request were not started. <see cref="Results"/> holds every job of the request, in
/// input order, with its id and outcome, so a caller knows which ids exist on the cluster and which to retry.</summary>
public sealed class JobStartException : LoraClientException
{
    /// <summary>Creates the exception; its message names each job that failed, with the cause, then the started ones.</summary>
    public JobStartException(IReadOnlyList<JobStartResult> results)
        : base(Describe(results), results.First(r => !r.Started).Error!)
    {
        Results = results;
    }

    /// <summary>Every job of the request, in input order.</summary>
    public IReadOnlyList<JobStartResult> Results { get; }

    // "job 'a': cause" per failure, so the one-line CLI error of a single submit names the (maybe generated) id.
    private static string Describe(IReadOnlyList<JobStartResult> results)
    {
        var failures = string.Join("; ", results.Where(r => !r.Started).Select(r => $"job '{r.JobId}': {r.Error?.Message}"));
        var started = results.Where(r => r.Started).Select(r => r.JobId).ToList();
        return started.Count == 0 ? failures : $"{failures}; started: {string.Join(", ", started)}";
    }
}
