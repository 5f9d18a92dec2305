using Lora.Abstractions;

namespace Lora.Cluster.Tests;

/// <summary>The sharded job index: ids spread over the shards and are all listed, an id stays bound to one base
/// model whichever silo submits it, and the single index of clusters from before sharding keeps working.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JobIndexTests(ClusterFixture fixture)
{
    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task Ids_spread_over_every_shard_each_shard_holds_its_own_and_the_listing_has_them_all()
    {
        var refs = Enumerable.Range(0, 100).Select(i => new JobRef($"spread-{i:D3}", ClusterFixture.ModelA)).ToList();
        await Task.WhenAll(refs.Select(r => Client.JobIndexFor(r.JobId).Register(r)));
        try
        {
            var byShard = await Task.WhenAll(JobIndexShards.Keys.Select(async k => (Key: k, Jobs: await Client.GetGrain<IJobIndexGrain>(k).List())));
            var ours = byShard.Select(s => (s.Key, Jobs: s.Jobs.Where(refs.Contains).ToList())).ToList();
            Assert.All(ours, s => Assert.NotEmpty(s.Jobs));   // these 100 ids reach all 32 shards
            Assert.All(ours, s => Assert.All(s.Jobs, j => Assert.Equal(s.Key, JobIndexShards.For(j.JobId))));
            // What the SDK lists (LoraClusterClient.ListAllJobsAsync): every shard's jobs, merged.
            Assert.Equal(refs, (await Client.ListIndexedJobsAsync()).Where(j => j.JobId.StartsWith("spread-", StringComparison.Ordinal)));
        }
        finally { await Task.WhenAll(refs.Select(r => Client.JobIndexFor(r.JobId).Remove(r))); }
    }

    [Fact]
    public async Task An_id_submitted_on_one_base_model_is_refused_on_another_and_nothing_is_stored_for_it()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 1);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        var other = spec with { BaseModel = ClusterFixture.ModelB };

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, other, Jobs.ReverseDataset()));
        Assert.Contains($"already used on base model '{ClusterFixture.ModelA}'", refused.Message);
        Assert.Equal(0, (await Client.GetGrain<IAdapterGrain>(other.GrainKey).GetStatus()).TotalSteps);
        Assert.Equal(ClusterFixture.ModelA, (await Client.JobIndexFor(spec.JobId).Find(spec.JobId))?.BaseModel);
        await Jobs.WaitCompleted(Client, spec);
    }

    [Fact]
    public async Task A_job_in_the_legacy_index_is_found_listed_and_deleted_and_its_id_stays_bound_to_its_model()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 1);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await Jobs.WaitCompleted(Client, spec);
        // Storage as a build from before sharding left it: the job indexed at key 0 only, in the same state record
        // the single index grain wrote. Its shard learns of it when it next activates, as after an upgrade.
        var job = new JobRef(spec.JobId, spec.BaseModel);
        var shard = Client.JobIndexFor(spec.JobId);
        var legacy = Client.GetGrain<IJobIndexGrain>(JobIndexShards.LegacyKey);
        Assert.True(await shard.Remove(job));
        await legacy.Register(job);
        await fixture.Cluster.DeactivateAsync(shard);

        Assert.Equal(job, await shard.Find(spec.JobId));
        Assert.Contains(job, await Client.ListIndexedJobsAsync());
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, spec with { BaseModel = ClusterFixture.ModelB }, Jobs.ReverseDataset()));
        Assert.Contains($"already used on base model '{ClusterFixture.ModelA}'", refused.Message);

        Assert.True(await Client.GetGrain<IAdapterGrain>(spec.GrainKey).Delete());
        Assert.Null(await legacy.Find(spec.JobId));
        Assert.Null(await shard.Find(spec.JobId));
        Assert.DoesNotContain(job, await Client.ListIndexedJobsAsync());
        var reused = new JobRef(spec.JobId, ClusterFixture.ModelB);
        await shard.Register(reused);   // deleted: the id is free for another model
        Assert.True(await shard.Remove(reused));
    }
}
