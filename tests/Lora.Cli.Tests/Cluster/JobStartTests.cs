using Lora.Abstractions;
using Lora.Cli.Commands.Demo;
using Lora.Client;

namespace Lora.Cli.Tests.Cluster;

/// <summary>Starting jobs against a real silo: every failure names its job, and nothing is half-started silently.</summary>
[Collection(EmbeddedClusterCollection.Name)]
public sealed class JobStartTests(EmbeddedCluster cluster)
{
    [Fact]
    public async Task A_refused_submit_names_the_generated_job_id()
    {
        var line = (await cluster.RunAsync("submit", "--base-model", DemoSettings.BaseModelId, "--data", cluster.DataFile, "--rank", "0")).SingleErrorLine();
        Assert.Matches(@"^error: job 'job-[0-9a-f]{8}': lora field 'rank' must be >= 1", line);
    }

    [Fact]
    public async Task A_pure_sdk_client_asking_for_an_unhosted_model_gets_a_client_error_naming_the_hosted_ones()
    {
        var e = await Assert.ThrowsAsync<LoraClientException>(() => cluster.Client.StartTrainingAsync(Spec("", "no-such-model"), cluster.Dataset));
        Assert.Matches("^job 'job-[0-9a-f]{8}': base model 'no-such-model' is not hosted", e.Message);
        Assert.Contains($"hosted models: {DemoSettings.BaseModelId}", e.Message);
    }

    [Fact]
    public async Task A_job_whose_model_no_silo_hosts_fails_with_a_client_error_not_an_orleans_one()
    {
        // Indexed while a silo for its model was up, say: placement refuses it, and the SDK says so in its own terms.
        await cluster.Silo.Grains.JobIndexFor("ghost-start").Register(new JobRef("ghost-start", "gone-model"));
        var e = await Assert.ThrowsAsync<LoraClientException>(() => cluster.Client.GetStatusAsync("ghost-start"));
        Assert.Contains("'gone-model'", e.Message);
        Assert.Contains(DemoSettings.BaseModelId, e.Message);
        await Assert.ThrowsAsync<LoraClientException>(() => cluster.Client.CancelAsync("ghost-start"));
        await cluster.Silo.Grains.JobIndexFor("ghost-start").Remove(new JobRef("ghost-start", "gone-model"));
    }

    [Fact]
    public async Task Two_jobs_with_one_id_are_refused_before_anything_is_uploaded()
    {
        var e = await Assert.ThrowsAsync<LoraClientException>(() => cluster.Client.StartManyAsync(
            [(Spec("dup-1"), cluster.Dataset), (Spec("dup-1") with { Seed = 2 }, "{\"text\": \"other data\"}\n")]));
        Assert.Contains("'dup-1'", e.Message);
        Assert.Contains("no job 'dup-1'", (await Assert.ThrowsAsync<LoraClientException>(() => cluster.Client.GetStatusAsync("dup-1"))).Message);
    }

    [Fact]
    public async Task When_some_jobs_fail_to_start_the_error_lists_every_job_and_the_others_run()
    {
        var e = await Assert.ThrowsAsync<JobStartException>(() => cluster.Client.StartManyAsync(
            [(Spec("part-ok"), cluster.Dataset), (Spec("") with { Rank = 0 }, cluster.Dataset)]));
        Assert.Equal("part-ok", e.Results[0].JobId);
        Assert.True(e.Results[0].Started);
        Assert.Matches("^job-[0-9a-f]{8}$", e.Results[1].JobId);
        Assert.Contains("'rank'", e.Results[1].Error!.Message);
        Assert.Contains($"job '{e.Results[1].JobId}': ", e.Message);
        Assert.EndsWith("started: part-ok", e.Message);
        Assert.Equal("part-ok", (await cluster.Client.GetStatusAsync("part-ok")).JobId);
        await cluster.Client.DeleteAsync("part-ok");
    }

    private static JobSpec Spec(string id, string model = DemoSettings.BaseModelId) =>
        new() { JobId = id, BaseModel = model, Steps = 1, BatchSize = 2, SeqLen = 32 };
}
