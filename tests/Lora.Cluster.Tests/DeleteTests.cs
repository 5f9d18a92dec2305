using Lora.Abstractions;

namespace Lora.Cluster.Tests;

/// <summary>Deleting a job: whatever its state, it stops, its stored records and index entry go, and the id is free.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DeleteTests(ClusterFixture fixture)
{
    private IClusterClient Client => fixture.Client;
    [Fact]
    public async Task A_finished_job_is_erased_and_its_id_can_be_reused_with_another_spec()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 3);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        Assert.Equal(spec.BaseModel, (await Client.JobIndexFor(spec.JobId).Find(spec.JobId))?.BaseModel);   // Submit reserved the id
        Assert.Equal(JobState.Completed, (await Jobs.WaitFinal(Client, spec)).State);

        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        Assert.True(await grain.Delete());
        Assert.Null(await Client.JobIndexFor(spec.JobId).Find(spec.JobId));
        var gone = await grain.GetStatus();   // a fresh activation reads whatever storage still holds
        Assert.Equal((0, 0), (gone.TotalSteps, gone.Step));
        await Assert.ThrowsAnyAsync<Exception>(() => grain.DownloadAdapter());

        var reused = spec with { Rank = 2, Steps = 2 };
        await Jobs.Start(Client, reused, Jobs.ReverseDataset(seed: 5));
        var again = await Jobs.WaitFinal(Client, reused);
        Assert.True(again.State == JobState.Completed && again.TotalSteps == 2, $"{again.State} {again.Error}");
    }

    [Fact]
    public async Task Deleting_a_running_job_stops_it_and_releases_its_adapter_from_the_engine()
    {
        var admission = fixture.Hosts[ClusterFixture.ModelA].Engine.Admission;
        // Jobs of earlier tests in the collection may still be releasing their sessions (queued on the engine thread
        // after their grains report them final): take the baseline once the count has stopped changing for a while.
        var residentBefore = await SettledResident(admission);
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 100_000);
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await Jobs.WaitStep(Client, spec, 2);
        Assert.True(admission.Resident > residentBefore, "the running job holds no engine slot");

        Assert.True(await grain.Delete());
        Assert.Equal(0, (await grain.GetStatus()).TotalSteps);
        // Delete returns after the loop ended; the session's release is queued on the engine's thread just before.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (admission.Resident > residentBefore && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(admission.Resident <= residentBefore, $"{admission.Resident} adapters resident after the delete, {residentBefore} before the job");
    }

    private static async Task<int> SettledResident(Lora.Training.Engine.AdmissionGate admission)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var (last, stableSince) = (admission.Resident, DateTime.UtcNow);
        while (last > 0 && DateTime.UtcNow - stableSince < TimeSpan.FromSeconds(1) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            var now = admission.Resident;
            if (now != last) (last, stableSince) = (now, DateTime.UtcNow);
        }
        return last;
    }

    [Fact]
    public async Task Deleting_an_unknown_job_reports_false_and_stores_nothing() =>
        Assert.False(await Client.GetGrain<IAdapterGrain>(AdapterKeys.For(ClusterFixture.ModelA, "never-submitted")).Delete());
}
