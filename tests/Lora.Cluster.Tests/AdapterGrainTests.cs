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
        await Task.WhenAll(specs.Select(s => Jobs.WaitCompleted(Client, s)));
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
    public async Task Records_cut_to_the_sequence_length_are_reported_in_the_status_from_submission_on()
    {
        var clean = Jobs.Spec(ClusterFixture.ModelA, steps: 2);
        Assert.Null((await Jobs.Start(Client, clean, Jobs.ReverseDataset(20))).DatasetWarning);

        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 2);   // seq_len 16
        var dataset = Jobs.ReverseDataset(20) + "\n" + $"{{\"prompt\": \"{new string('x', 40)}=\", \"completion\": \"ab\"}}";
        var submitted = await Jobs.Start(Client, spec, dataset);
        Assert.Contains("1 of 21 prompt/completion records were cut to seq_len 16", submitted.DatasetWarning);
        var final = await Jobs.WaitFinal(Client, spec);
        Assert.Equal(JobState.Completed, final.State);
        Assert.Equal(submitted.DatasetWarning, final.DatasetWarning);   // stored with the job, not only said once
        Assert.Null((await Jobs.WaitCompleted(Client, clean)).DatasetWarning);
    }

    [Fact]
    public async Task A_job_without_an_eval_split_reports_its_eval_losses_as_not_measured()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 2) with { EvalFraction = 0 };
        await Jobs.Start(Client, spec, Jobs.ReverseDataset(20));
        var final = await Jobs.WaitFinal(Client, spec);
        Assert.Equal(JobState.Completed, final.State);
        // null, not NaN: NaN cannot be written as JSON, and one such job would break `lora list --json` for all.
        Assert.Null(final.EvalLoss);
        Assert.Null(final.BaseEvalLoss);
        Assert.NotNull(final.TrainLoss);
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
    [InlineData("jobId", "jobId")]
    [InlineData("rank", "'rank'")]
    [InlineData("rank-too-large", "'rank' (1000) exceeds")]
    [InlineData("alpha", "'alpha'")]
    [InlineData("dropout", "'dropout'")]
    [InlineData("unknown-target", "unknown module 'qq_proj'")]
    [InlineData("no-targets", "'targets'")]
    [InlineData("duplicate-target", "lists a module twice")]
    [InlineData("nan-lr", "'lr'")]
    [InlineData("negative-lr", "'lr'")]
    [InlineData("steps", "'steps'")]
    [InlineData("batchSize", "'batch_size'")]
    [InlineData("seqLen", "'seq_len'")]
    [InlineData("seqLen-beyond-context", "exceeds the base model's context of 64 tokens")]
    [InlineData("warmup", "'warmup_steps'")]
    [InlineData("schedule", "'schedule'")]
    [InlineData("evalFraction", "'eval_fraction'")]
    [InlineData("gradAccum", "'grad_accum'")]
    [InlineData("checkpointEverySteps", "'checkpointEverySteps'")]
    [InlineData("checkpointEverySeconds", "'checkpointEverySeconds'")]
    [InlineData("weightDecay", "'weight_decay'")]
    [InlineData("maxGradNorm", "'max_grad_norm'")]
    [InlineData("empty-dataset", "dataset")]
    [InlineData("bad-line", ":2: invalid JSON")]
    [InlineData("huge-line", ":2: line longer than the maximum of 1048576 bytes")]
    [InlineData("token-id-out-of-range", ":2: token id 260 is outside the model's vocabulary (size 260)")]
    [InlineData("oversized-chunk", "the limit per chunk is 8388608")]
    [InlineData("incomplete-upload", "chunks 1 of 2 are missing")]
    public async Task Bad_spec_or_dataset_is_rejected_naming_the_problem_and_stores_nothing(string problem, string mentioned)
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA);
        var data = Jobs.ReverseDataset();
        var chunks = new List<string> { data };
        spec = problem switch
        {
            "jobId" => spec with { JobId = "bad id!" },
            "rank" => spec with { Rank = 0 },
            "rank-too-large" => spec with { Rank = 1000 },
            "alpha" => spec with { Alpha = 0 },
            "dropout" => spec with { Dropout = 1 },
            "unknown-target" => spec with { Targets = ["qq_proj"] },
            "no-targets" => spec with { Targets = [] },
            "duplicate-target" => spec with { Targets = ["q_proj", "q_proj"] },
            "nan-lr" => spec with { LearningRate = double.NaN },
            "negative-lr" => spec with { LearningRate = -1 },
            "steps" => spec with { Steps = 0 },
            "batchSize" => spec with { BatchSize = -2 },
            "seqLen" => spec with { SeqLen = 1 },
            "seqLen-beyond-context" => spec with { SeqLen = 65 },
            "warmup" => spec with { WarmupSteps = spec.Steps + 1 },
            "schedule" => spec with { Schedule = "step" },
            "evalFraction" => spec with { EvalFraction = 1 },
            "gradAccum" => spec with { GradientAccumulation = 0 },
            "checkpointEverySteps" => spec with { CheckpointEverySteps = 0 },
            "checkpointEverySeconds" => spec with { CheckpointEverySeconds = double.PositiveInfinity },
            "weightDecay" => spec with { WeightDecay = -0.1 },
            "maxGradNorm" => spec with { MaxGradNorm = double.NaN },
            _ => spec,
        };
        chunks = problem switch
        {
            "empty-dataset" => [""],
            "bad-line" => ["{\"text\": \"ok\"}\n{not json"],
            "huge-line" => ["{\"text\": \"ok\"}\n{\"text\": \"" + new string('x', 1 << 20) + "\"}\n"],
            "token-id-out-of-range" => ["{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [4, 260]}\n"],
            "oversized-chunk" => [new string(' ', (8 << 20) + 1)],
            _ => chunks,
        };
        var grain = Client.GetGrain<IAdapterGrain>(spec.JobId == "bad id!" ? $"{ClusterFixture.ModelA}/probe-bad-id" : spec.GrainKey);
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var total = problem == "incomplete-upload" ? 2 : chunks.Count;
            for (int i = 0; i < chunks.Count; i++) await grain.UploadDatasetChunk(i, total, chunks[i]);
            await grain.Submit(spec);
        });
        Assert.Contains(mentioned, ex.Message);
        var status = await grain.GetStatus();
        Assert.Equal(0, status.TotalSteps);   // no spec was persisted
    }

    [Fact]
    public async Task A_spec_naming_another_job_than_its_grain_key_is_rejected_and_stores_nothing()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA);
        var grain = Client.GetGrain<IAdapterGrain>(AdapterKeys.For(ClusterFixture.ModelA, spec.JobId + "-other"));
        await grain.UploadDatasetChunk(0, 1, Jobs.ReverseDataset());
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => grain.Submit(spec));
        Assert.Contains($"job field 'jobId' ('{spec.JobId}') does not match the grain's job id '{spec.JobId}-other'", ex.Message);
        Assert.Equal(0, (await grain.GetStatus()).TotalSteps);
        Assert.Null(await Client.JobIndexFor(spec.JobId).Find(spec.JobId));
    }

    [Fact]
    public async Task A_dataset_too_large_for_one_message_arrives_in_chunks_and_trains()
    {
        // ~3 MiB of JSONL: the SDK's chunker cuts it at record boundaries into 1 MiB messages.
        var records = Jobs.ReverseDataset(lines: 64);
        var data = string.Join("\n", Enumerable.Repeat(records, 3 * (1 << 20) / records.Length + 1));
        var chunks = Lora.Client.DatasetChunker.Split(data);
        Assert.True(chunks.Count >= 3, $"{chunks.Count} chunk(s)");
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 3) with { EvalFraction = 0.002 };
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        for (int i = chunks.Count - 1; i >= 0; i--) await grain.UploadDatasetChunk(i, chunks.Count, chunks[i]);   // any order
        await grain.Submit(spec);
        var done = await Jobs.WaitFinal(Client, spec);
        Assert.True(done.State == JobState.Completed, $"{done.State}: {done.Error}");
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
    public async Task Cancel_racing_completion_ends_in_exactly_one_consistent_final_state()
    {
        // Cancels land before, during and after the last step; each job must end Completed (adapter served) or
        // Canceled (no adapter), never Failed, and never change once final.
        var specs = Enumerable.Range(0, 12).Select(_ => Jobs.Spec(ClusterFixture.ModelA, steps: 3)).ToList();
        await Task.WhenAll(specs.Select(s => Jobs.Start(Client, s, Jobs.ReverseDataset())));
        var cancels = await Task.WhenAll(specs.Select(async (s, i) =>
        {
            await Task.Delay(i * 40);
            return await Client.GetGrain<IAdapterGrain>(s.GrainKey).Cancel();
        }));
        Assert.All(cancels, c => Assert.True(c.State is JobState.Completed or JobState.Canceled, $"{c.JobId}: {c.State} {c.Error}"));
        foreach (var (spec, cancel) in specs.Zip(cancels))
        {
            var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
            await Task.Delay(50);
            Assert.Equal(cancel.State, (await grain.GetStatus()).State);
            if (cancel.State == JobState.Completed) Assert.NotEmpty((await grain.DownloadAdapter()).Safetensors);
            else Assert.Contains("no finished adapter", (await Assert.ThrowsAnyAsync<Exception>(() => grain.DownloadAdapter())).Message);
        }
    }

    [Fact]
    public async Task Checkpoints_follow_the_seconds_cadence_when_steps_alone_would_never_trigger_one()
    {
        // The listener hears every LoraMetrics meter in the process: count only this silo's model, not the
        // checkpoints of jobs on other models (other fixtures' silos) that may be training meanwhile.
        var checkpoints = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "lora_checkpoint_duration") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "base_model" && Equals(tag.Value, ClusterFixture.ModelA)) Interlocked.Increment(ref checkpoints);
        });
        listener.Start();

        async Task<int> CheckpointsOf(JobSpec spec)
        {
            var before = Volatile.Read(ref checkpoints);
            await Jobs.Start(Client, spec, Jobs.ReverseDataset());
            var done = await Jobs.WaitFinal(Client, spec);
            Assert.True(done.State == JobState.Completed, $"{done.State}: {done.Error}");
            return Volatile.Read(ref checkpoints) - before;
        }
        var bySteps = Jobs.Spec(ClusterFixture.ModelA, steps: 6) with { CheckpointEverySteps = 1000, CheckpointEverySeconds = 0 };
        Assert.Equal(0, await CheckpointsOf(bySteps));
        var bySeconds = bySteps with { JobId = bySteps.JobId + "-s", CheckpointEverySeconds = 1e-6 };
        Assert.Equal(5, await CheckpointsOf(bySeconds));   // after every step but the last (the finished adapter replaces it)
    }

    [Fact]
    public async Task Cancel_stops_a_running_job()
    {
        var spec = Jobs.Spec(ClusterFixture.ModelA, steps: 5000);
        await Jobs.Start(Client, spec, Jobs.ReverseDataset());
        await Jobs.WaitStep(Client, spec, 2);   // really running, not still queued
        var grain = Client.GetGrain<IAdapterGrain>(spec.GrainKey);
        var status = await grain.Cancel();
        Assert.True(status.State == JobState.Canceled, $"{status.State} at step {status.Step}: {status.Error}");
        Assert.InRange(status.Step, 2, spec.Steps - 1);
        // Cancel returns once the loop has ended: no step may follow it.
        for (var poll = 0; poll < 5; poll++)
        {
            await Task.Delay(200);
            var later = await grain.GetStatus();
            Assert.Equal((JobState.Canceled, status.Step), (later.State, later.Step));
        }
    }
}
