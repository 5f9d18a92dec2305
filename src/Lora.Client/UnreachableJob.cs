using Lora.Abstractions;

namespace Lora.Client;

/// <summary>An indexed job whose status could not be read.</summary>
/// <param name="Job">The job's id and base model, as the job index holds them.</param>
/// <param name="Reason">Why it could not be read, as a message for a user (e.g. "no silo hosts base model 'm' …").</param>
public sealed record UnreachableJob(JobRef Job, string Reason);
