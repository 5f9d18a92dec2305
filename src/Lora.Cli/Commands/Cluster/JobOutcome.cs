using Lora.Abstractions;

namespace Lora.Cli.Commands.Cluster;

/// <summary>How `lora wait` and `lora watch` judge a set of final (or timed-out) statuses: success only if every job
/// completed, so scripts can chain `lora wait … &amp;&amp; lora download …`.</summary>
public static class JobOutcome
{
    /// <summary>Null when every job completed, else the one-line error to print. <paramref name="lost"/>: jobs that could
    /// no longer be followed, by id, with the reason (their last status is not final, but they did not time out).</summary>
    public static string? Problem(IReadOnlyList<JobStatus> statuses, double? timeoutSeconds = null, IReadOnlyDictionary<string, string>? lost = null)
    {
        lost ??= new Dictionary<string, string>();
        var unfinished = statuses.Where(s => !s.IsFinal && !lost.ContainsKey(s.JobId)).Select(s => s.JobId).ToList();
        var failed = statuses.Where(s => s.IsFinal && s.State != JobState.Completed)
            .Select(s => s.Error is { Length: > 0 } e ? $"{s.JobId} {s.State} ({e})" : $"{s.JobId} {s.State}").ToList();
        var parts = new List<string>();
        if (lost.Count > 0) parts.Add($"lost track of {string.Join("; ", lost.Select(l => $"{l.Key} ({l.Value})"))}");
        if (unfinished.Count > 0)
            parts.Add(timeoutSeconds is { } t
                ? $"timed out after {t:0.###} s waiting for {string.Join(", ", unfinished)}"
                : $"not finished: {string.Join(", ", unfinished)}");
        if (failed.Count > 0) parts.Add($"did not complete: {string.Join("; ", failed)}");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }
}
