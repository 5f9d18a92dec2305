using Lora.Abstractions;

namespace Lora.Client;

/// <summary>What became of one job of a start request.</summary>
/// <param name="JobId">The job's id, the client-generated one included.</param>
/// <param name="Status">Its status after submission; null when it was not started.</param>
/// <param name="Error">Why it was not started; null when it was. After a timeout or a lost connection the submission may
/// still have reached the cluster: look the job up by <paramref name="JobId"/> before starting it again.</param>
public sealed record JobStartResult(string JobId, JobStatus? Status, Exception? Error)
{
    /// <summary>True when the cluster accepted the job.</summary>
    public bool Started => Status is not null;
}
