using Lora.Abstractions;

namespace Lora.Cli.Commands.Cluster;

/// <summary>How following one job with `lora watch` ended.</summary>
/// <param name="Last">The last status seen (final unless the job was lost).</param>
/// <param name="Lost">Why the job could no longer be followed (deleted meanwhile, cluster unreachable); null if it was followed to its end.</param>
public sealed record WatchedJob(JobStatus Last, string? Lost);
