using System.Diagnostics;
using Lora.Abstractions;
using Xunit.Abstractions;

namespace Lora.Cluster.Tests;

/// <summary>
/// A burst of 200 small jobs submitted at once while their statuses are polled concurrently: every job reaches a
/// final state, none is lost, and no call times out. Prints submission rate and status latency (median, p99).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LoadTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Jobs = 200;

    [Fact]
    public async Task Two_hundred_jobs_submitted_at_once_all_complete_and_status_queries_stay_answered()
    {
        var client = fixture.Client;
        var specs = Enumerable.Range(0, Jobs).Select(i => Cluster.Tests.Jobs.Spec(i % 2 == 0 ? ClusterFixture.ModelA : ClusterFixture.ModelB,
            id: $"load-{i:D3}", steps: 3) with { BatchSize = 2 }).ToList();
        var dataset = Cluster.Tests.Jobs.ReverseDataset(lines: 24);

        var submitClock = Stopwatch.StartNew();
        await Task.WhenAll(specs.Select(s => Cluster.Tests.Jobs.Start(client, s, dataset)));
        var submitSeconds = submitClock.Elapsed.TotalSeconds;

        var latencies = new List<double>();
        var final = new Dictionary<string, JobStatus>();
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (final.Count < Jobs && DateTime.UtcNow < deadline)
        {
            var pending = specs.Where(s => !final.ContainsKey(s.JobId)).ToList();
            var statuses = await Task.WhenAll(pending.Select(async s =>
            {
                var clock = Stopwatch.StartNew();
                var status = await client.GetGrain<IAdapterGrain>(s.GrainKey).GetStatus();
                lock (latencies) latencies.Add(clock.Elapsed.TotalMilliseconds);
                return status;
            }));
            foreach (var s in statuses.Where(s => s.IsFinal)) final[s.JobId] = s;
            await Task.Delay(100);
        }

        latencies.Sort();
        var median = latencies[latencies.Count / 2];
        var p99 = latencies[(int)(latencies.Count * 0.99)];
        output.WriteLine($"jobs {Jobs}; submitted in {submitSeconds:F2} s = {Jobs / submitSeconds:F0} jobs/s; " +
                         $"{latencies.Count} status queries: median {median:F1} ms, p99 {p99:F1} ms");
        Assert.Equal(Jobs, final.Count);
        Assert.All(final.Values, s => Assert.True(s.State == JobState.Completed, $"{s.JobId}: {s.State} {s.Error}"));
    }

    private const int IndexIds = 2000;

    /// <summary>A key outside the shards: one grain indexing every id, as the index did before sharding.</summary>
    private const long Unsharded = -1;

    [Fact]
    public async Task Registering_thousands_of_ids_rewrites_one_shard_each_not_the_whole_index()
    {
        var client = fixture.Client;
        var (sharded, shardedRefs) = await RegisterAll(client, "shard", id => client.JobIndexFor(id));
        var (single, _) = await RegisterAll(client, "single", _ => client.GetGrain<IJobIndexGrain>(Unsharded));
        output.WriteLine($"index: {IndexIds} ids registered concurrently: sharded {sharded:F0} ids/s, one grain {single:F0} ids/s");
        await Task.WhenAll(shardedRefs.Select(r => client.JobIndexFor(r.JobId).Remove(r)));
    }

    /// <summary>Registers <see cref="IndexIds"/> ids at once and checks each is found; the rate in ids per second.</summary>
    private static async Task<(double Rate, List<JobRef> Refs)> RegisterAll(IClusterClient client, string prefix, Func<string, IJobIndexGrain> indexOf)
    {
        var refs = Enumerable.Range(0, IndexIds).Select(i => new JobRef($"{prefix}-{i:D5}", ClusterFixture.ModelA)).ToList();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(refs.Select(r => indexOf(r.JobId).Register(r)));
        var rate = IndexIds / clock.Elapsed.TotalSeconds;
        var found = await Task.WhenAll(refs.Select(r => indexOf(r.JobId).Find(r.JobId)));
        Assert.Equal(refs, found);
        return (rate, refs);
    }
}
