using Lora.Abstractions;
using Lora.Grains.Hosting;

namespace Lora.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class AdapterGrainTests(ClusterFixture fixture)
{
    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task Jobs_land_only_on_the_silo_hosting_their_base_model()
    {
        var specs = Enumerable.Range(0, 8).Select(i => Jobs.Spec(i % 2 == 0 ? ClusterFixture.ModelA : ClusterFixture.ModelB, steps: 2)).ToList();
        var statuses = await Task.WhenAll(specs.Select(s => Jobs.Start(Client, s, Jobs.ReverseDataset())));
        var siloOfModel = specs.Zip(statuses).GroupBy(p => p.First.BaseModel).ToDictionary(g => g.Key, g => g.Select(p => p.Second.Silo).Distinct().ToList());
        Assert.Single(siloOfModel[ClusterFixture.ModelA]);
        Assert.Single(siloOfModel[ClusterFixture.ModelB]);
        Assert.NotEqual(siloOfModel[ClusterFixture.ModelA][0], siloOfModel[ClusterFixture.ModelB][0]);
        await Task.WhenAll(specs.Select(s => Jobs.WaitFinal(Client, s)));
    }

    [Fact]
    public async Task Sixteen_concurrent_jobs_complete_and_each_lowers_its_eval_loss_on_one_shared_base()
    {
        var loadsBefore = SiloModelHost.LoadCount;
        var widest = fixture.Hosts.Keys.ToDictionary(k => k, _ => 0);
        var handlers = fixture.Hosts.ToDictionary(h => h.Key, h => (Action<Lora.Training.Engine.FusedPassReport>)(r =>
        {
            lock (widest) widest[h.Key] = Math.Max(widest[h.Key], r.Adapters);
        }));
        foreach (var (model, host) in fixture.Hosts) host.Engine.PassCompleted += handlers[model];
        var specs = Enumerable.Range(0, 16).Select(i => Jobs.Spec(i % 2 == 0 ? ClusterFixture.ModelA : ClusterFixture.ModelB, steps: 30)).ToList();
        await Task.WhenAll(specs.Select((s, i) => Jobs.Start(Client, s, Jobs.ReverseDataset(seed: i))));
        var final = await Task.WhenAll(specs.Select(s => Jobs.WaitFinal(Client, s, TimeSpan.FromMinutes(4))));
        Assert.All(final, s => Assert.True(s.State == JobState.Completed, $"{s.JobId}: {s.State} {s.Error}"));
        Assert.All(final, s => Assert.True(s.EvalLoss < s.BaseEvalLoss, $"{s.JobId}: eval {s.EvalLoss} !< base {s.BaseEvalLoss}"));
        foreach (var (model, host) in fixture.Hosts) host.Engine.PassCompleted -= handlers[model];
        Assert.Equal(loadsBefore, SiloModelHost.LoadCount);   // no job loaded another base copy
        // Each silo's one base served several adapters in the same pass: they share it, not copies of it.
        Assert.All(widest, kv => Assert.True(kv.Value >= 2, $"{kv.Key}: widest fused pass had {kv.Value} adapter(s)"));
    }

    [Fact]
    public async Task Same_job_submitted_twice_trains_once_and_a_different_spec_is_rejected()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 3);
        var data = Jobs.ReverseDataset();
        await Jobs.Start(Client, spec, data);
        var again = await Jobs.Start(Client, spec, data);
        Assert.Equal(spec.JobId, again.JobId);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, spec with { Rank = 2 }, data));
        Assert.Contains("different spec", ex.Message);
        Assert.Equal(JobState.Completed, (await Jobs.WaitFinal(Client, spec)).State);
    }

    [Fact]
    public async Task Finished_adapter_survives_deactivation_bit_for_bit()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelB, steps: 4);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        var done = await Jobs.WaitFinal(Client, spec);
        Assert.True(done.State == JobState.Completed, done.Error);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        var before = await grain.DownloadAdapter();
        await fixture.Cluster.DeactivateAsync(grain);
        await Task.Delay(200);
        var after = await grain.DownloadAdapter();
        Assert.Equal(before.Safetensors, after.Safetensors);
        Assert.Equal(before.ConfigJson, after.ConfigJson);
        using var config = System.Text.Json.JsonDocument.Parse(before.ConfigJson);
        Assert.Equal("LORA", config.RootElement.GetProperty("peft_type").GetString());
        Assert.Equal(spec.Rank, config.RootElement.GetProperty("r").GetInt32());
    }

    [Theory]
    [InlineData("rank", "rank")]
    [InlineData("rank-too-large", "rank")]
    [InlineData("unknown-target", "targets")]
    [InlineData("nan-lr", "lr")]
    [InlineData("negative-lr", "lr")]
    [InlineData("empty-dataset", "dataset")]
    [InlineData("bad-line", ":2:")]
    public async Task Bad_spec_is_rejected_with_a_clear_error_and_stores_nothing(string problem, string mentioned)
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA);
        var data = Jobs.ReverseDataset();
        (spec, data) = problem switch
        {
            "rank" => (spec with { Rank = 0 }, data),
            "rank-too-large" => (spec with { Rank = 1000 }, data),
            "unknown-target" => (spec with { Targets = ["qq_proj"] }, data),
            "nan-lr" => (spec with { LearningRate = double.NaN }, data),
            "negative-lr" => (spec with { LearningRate = -1 }, data),
            "empty-dataset" => (spec, ""),
            _ => (spec, "{\"text\": \"ok\"}\n{not json"),
        };
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, spec, data));
        Assert.Contains(mentioned, ex.Message);
        var status = await Client.GetGrain<IAdapterGrain>(spec.GrainKey).GetStatus();
        Assert.Equal(0, status.TotalSteps);   // no spec was persisted
    }

    [Fact]
    public async Task Unknown_base_model_fails_fast_naming_the_hosted_models()
    {
        var spec = Jobs.Spec("no-such-model");
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Jobs.Start(Client, spec, Jobs.ReverseDataset()));
        Assert.Contains("no-such-model", ex.ToString());
        Assert.Contains(ClusterFixture.ModelA, ex.ToString());
    }

    [Fact]
    public async Task Cancel_stops_a_running_job()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 5000);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await Task.Delay(300);
        var status = await Client.GetGrain<IAdapterGrain>(spec.GrainKey).Cancel();
        Assert.Equal(JobState.Canceled, status.State);
    }
}
