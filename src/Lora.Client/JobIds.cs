using System.Security.Cryptography;
using Lora.Abstractions;

namespace Lora.Client;

/// <summary>Client-side job ids: the client names a job before submitting it so that an upload can be retried and
/// the id is known even if the submit reply is lost.</summary>
public static class JobIds
{
    /// <summary>A fresh id: "job-" and 8 lowercase hex characters.</summary>
    public static string New() => "job-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>Returns the spec with an id (a new one if empty), after checking the ids are usable as keys.</summary>
    public static JobSpec Ensure(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var withId = string.IsNullOrWhiteSpace(spec.JobId) ? spec with { JobId = New() } : spec;
        if (!AdapterKeys.IsValidId(withId.JobId))
            throw new LoraClientException($"job id '{withId.JobId}' is invalid: use 1-128 letters, digits, '.', '_' or '-'.");
        if (!AdapterKeys.IsValidId(withId.BaseModel))
            throw new LoraClientException($"base model id '{withId.BaseModel}' is invalid: use 1-128 letters, digits, '.', '_' or '-'.");
        return withId;
    }

    /// <summary>Every spec with an id (<see cref="Ensure"/>), in input order. An id given twice is rejected: an id names
    /// one job in the index, and two uploads to the same grain would interleave in its dataset buffer.</summary>
    public static IReadOnlyList<JobSpec> EnsureAll(IEnumerable<JobSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var all = specs.Select(Ensure).ToList();
        var repeated = all.GroupBy(s => s.JobId, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"'{g.Key}'").ToList();
        if (repeated.Count > 0)
            throw new LoraClientException($"job id {string.Join(", ", repeated)} is given to more than one job; no job was submitted.");
        return all;
    }
}
