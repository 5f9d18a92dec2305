using System.Text;

namespace Lora.Abstractions;

/// <summary>
/// The job index is split over <see cref="Count"/> grains (keys 1..Count) so that a submission rewrites one shard's
/// entries, not every job's, and no single activation serves all submissions. Key <see cref="LegacyKey"/> is the
/// index of clusters from before the split: read, and removed from, but never written to by the cluster.
/// </summary>
public static class JobIndexShards
{
    /// <summary>Fixed for the life of a cluster's storage: changing it would move ids away from the shard holding them.</summary>
    public const int Count = 32;

    public const long LegacyKey = 0;

    /// <summary>Every shard's key, 1..<see cref="Count"/>.</summary>
    public static IEnumerable<long> Keys => Enumerable.Range(1, Count).Select(i => (long)i);

    /// <summary>The shard holding a job id. FNV-1a over the id's UTF-8 bytes, never <c>string.GetHashCode</c>, which
    /// differs between processes: every silo and client, of any version, must agree for as long as storage lives.</summary>
    public static long For(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(jobId)) hash = (hash ^ b) * 16777619u;
        return 1 + hash % Count;
    }

    /// <summary>The index grain for a job id.</summary>
    public static IJobIndexGrain JobIndexFor(this IGrainFactory grains, string jobId) => grains.GetGrain<IJobIndexGrain>(For(jobId));

    /// <summary>Every indexed job, legacy ones included: all shards asked at once, merged in job id order.</summary>
    public static async Task<IReadOnlyList<JobRef>> ListIndexedJobsAsync(this IGrainFactory grains)
    {
        var shards = await Task.WhenAll(Keys.Select(k => grains.GetGrain<IJobIndexGrain>(k).List()));
        return shards.SelectMany(s => s).OrderBy(j => j.JobId, StringComparer.Ordinal).ToList();
    }
}
