using Lora.Abstractions;

namespace Lora.Client;

/// <summary>Every indexed job: the statuses of those that answered, and the ones that could not be reached.</summary>
/// <param name="Jobs">Statuses of the reachable jobs, in job id order.</param>
/// <param name="Unreachable">Jobs whose status could not be read (e.g. no live silo hosts their base model), in job id order.</param>
public sealed record JobListing(IReadOnlyList<JobStatus> Jobs, IReadOnlyList<UnreachableJob> Unreachable);
