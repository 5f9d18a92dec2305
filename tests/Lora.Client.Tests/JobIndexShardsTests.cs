using Lora.Abstractions;

namespace Lora.Client.Tests;

/// <summary>The job id → index shard map is part of the stored format: every process and every build must agree.</summary>
public sealed class JobIndexShardsTests
{
    [Theory]
    // FNV-1a 32-bit over UTF-8, computed independently of this code; 1 + hash % 32.
    [InlineData("", 6)]
    [InlineData("job-1", 23)]
    [InlineData("load-000", 21)]
    [InlineData("ghost-1", 3)]
    [InlineData("é", 2)]   // two UTF-8 bytes, not one UTF-16 unit
    public void A_job_id_maps_to_the_same_shard_in_every_process(string jobId, long shard) =>
        Assert.Equal(shard, JobIndexShards.For(jobId));

    [Fact]
    public void Every_shard_key_is_in_one_to_count_and_never_the_legacy_key()
    {
        var keys = Enumerable.Range(0, 1000).Select(i => JobIndexShards.For($"job-{i}")).ToHashSet();
        Assert.Equal(JobIndexShards.Keys.ToHashSet(), keys);
        Assert.DoesNotContain(JobIndexShards.LegacyKey, keys);
    }
}
