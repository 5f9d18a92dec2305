using Lora.Abstractions;

namespace Lora.Cluster.Tests;

/// <summary>Small jobs and datasets for cluster tests.</summary>
internal static class Jobs
{
    /// <summary>A learnable task: reverse 3-letter strings.</summary>
    public static string ReverseDataset(int lines = 64, int seed = 0)
    {
        var random = new Random(seed);
        return string.Join("\n", Enumerable.Range(0, lines).Select(_ =>
        {
            var word = new string(Enumerable.Range(0, 3).Select(_ => (char)('a' + random.Next(6))).ToArray());
            return $"{{\"prompt\": \"{word}=\", \"completion\": \"{new string(word.Reverse().ToArray())}\"}}";
        }));
    }

    public static JobSpec Spec(string model, string? id = null, int steps = 12) => new()
    {
        JobId = id ?? "job-" + Guid.NewGuid().ToString("N")[..8],
        BaseModel = model,
        Rank = 4,
        Alpha = 8,
        Targets = ["q_proj", "v_proj"],
        LearningRate = 1e-2,
        Steps = steps,
        BatchSize = 4,
        SeqLen = 16,
        EvalFraction = 0.2,
        CheckpointEverySteps = 5,
    };

    public static async Task<JobStatus> Start(IClusterClient client, JobSpec spec, string dataset)
    {
        var grain = client.GetGrain<IAdapterGrain>(spec.GrainKey);
        await grain.UploadDatasetChunk(0, 1, dataset);
        return await grain.Submit(spec);
    }

    /// <summary>The job's final status; fails the test, naming the job's state, step and error, if it is not final
    /// within <paramref name="timeout"/> (2 minutes by default), so callers never mistake a running job for an ended one.</summary>
    public static async Task<JobStatus> WaitFinal(IClusterClient client, JobSpec spec, TimeSpan? timeout = null)
    {
        var grain = client.GetGrain<IAdapterGrain>(spec.GrainKey);
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var status = await grain.GetStatus();
            if (status.IsFinal) return status;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{spec.JobId} not final after {limit.TotalSeconds:0} s: {status.State} at step {status.Step} of {status.TotalSteps}: {status.Error}");
            await Task.Delay(100);
        }
    }

    /// <summary><see cref="WaitFinal"/>, asserting the job completed.</summary>
    public static async Task<JobStatus> WaitCompleted(IClusterClient client, JobSpec spec, TimeSpan? timeout = null)
    {
        var status = await WaitFinal(client, spec, timeout);
        Assert.True(status.State == JobState.Completed, $"{spec.JobId}: {status.State} at step {status.Step} of {status.TotalSteps}: {status.Error}");
        return status;
    }

    /// <summary>Polls until the job has done at least <paramref name="step"/> steps; fails, naming its state and error,
    /// if it ends first or does not get there within <paramref name="timeout"/> (1 minute by default).</summary>
    public static async Task<JobStatus> WaitStep(IClusterClient client, JobSpec spec, int step, TimeSpan? timeout = null)
    {
        var grain = client.GetGrain<IAdapterGrain>(spec.GrainKey);
        var limit = timeout ?? TimeSpan.FromMinutes(1);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var status = await grain.GetStatus();
            if (status.Step >= step) return status;
            if (status.IsFinal)
                Assert.Fail($"{spec.JobId} ended {status.State} at step {status.Step} of {status.TotalSteps} before reaching step {step}: {status.Error}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{spec.JobId} still {status.State} at step {status.Step} of {status.TotalSteps} after {limit.TotalSeconds:0} s waiting for step {step}: {status.Error}");
            await Task.Delay(50);
        }
    }
}
