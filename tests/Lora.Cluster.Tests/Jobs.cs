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

    public static async Task<JobStatus> WaitFinal(IClusterClient client, JobSpec spec, TimeSpan? timeout = null)
    {
        var grain = client.GetGrain<IAdapterGrain>(spec.GrainKey);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        while (true)
        {
            var status = await grain.GetStatus();
            if (status.IsFinal || DateTime.UtcNow > deadline) return status;
            await Task.Delay(100);
        }
    }
}
