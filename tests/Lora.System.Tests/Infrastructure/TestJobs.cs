using Lora.Abstractions;
using Lora.Client;

namespace Lora.System.Tests.Infrastructure;

/// <summary>Small learnable jobs for the built-in model, and waiting for them.</summary>
internal static class TestJobs
{
    /// <summary>Reverse 3-letter strings: learnable, so loss moves and a wrong resume shows up in the numbers.</summary>
    public static string ReverseDataset(int lines = 96, int seed = 0)
    {
        var random = new Random(seed);
        return string.Join("\n", Enumerable.Range(0, lines).Select(_ =>
        {
            var word = new string(Enumerable.Range(0, 3).Select(_ => (char)('a' + random.Next(6))).ToArray());
            return $"{{\"prompt\": \"{word}=\", \"completion\": \"{new string(word.Reverse().ToArray())}\"}}";
        }));
    }

    public static JobSpec Spec(string id, int steps, int checkpointEvery = 5, double lr = 1e-2, long seed = 1) => new()
    {
        JobId = id,
        BaseModel = "builtin-tiny",
        Rank = 4,
        Alpha = 8,
        Targets = ["q_proj", "v_proj"],
        LearningRate = lr,
        Steps = steps,
        BatchSize = 4,
        SeqLen = 16,
        EvalFraction = 0.1,
        CheckpointEverySteps = checkpointEvery,
        Seed = seed,
    };

    /// <summary>
    /// Polls until the job has done at least <paramref name="step"/> steps and returns that status. Fails, naming the
    /// job's state, step and error (and <paramref name="diagnostics"/>, e.g. silo logs), when the job ends before
    /// getting there or the timeout (cut short by the test's deadline) passes: a bare polling loop would spin until
    /// CI's hang timeout instead.
    /// </summary>
    public static async Task<JobStatus> WaitStepAsync(LoraClusterClient client, string jobId, int step, TimeSpan timeout,
        Func<string>? diagnostics = null)
    {
        var wait = TestDeadline.For(timeout);
        while (true)
        {
            var status = await client.GetStatusAsync(jobId);
            if (status.Step >= step) return status;
            if (status.IsFinal)
                Assert.Fail($"{jobId} ended {status.State} at step {status.Step} of {status.TotalSteps} before reaching step {step}: {status.Error}\n{diagnostics?.Invoke()}");
            if (wait.Expired)
                Assert.Fail($"{jobId} still {status.State} at step {status.Step} of {status.TotalSteps} after {wait} waiting for step {step}: {status.Error}\n{diagnostics?.Invoke()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Polls until every job is final; <paramref name="observe"/> sees every status on the way.</summary>
    public static async Task<Dictionary<string, JobStatus>> WaitFinalAsync(LoraClusterClient client, IEnumerable<string> jobIds,
        TimeSpan timeout, Action<JobStatus>? observe = null)
    {
        var pending = jobIds.ToHashSet();
        var final = new Dictionary<string, JobStatus>();
        var wait = TestDeadline.For(timeout);
        while (pending.Count > 0)
        {
            foreach (var id in pending.ToList())
            {
                JobStatus status;
                // A silo that just died may still be the directory's answer for a moment; the next poll succeeds.
                try { status = await client.GetStatusAsync(id); }
                catch (Exception e) when (e is not LoraClientException && !wait.Expired) { continue; }
                observe?.Invoke(status);
                if (status.IsFinal) { final[id] = status; pending.Remove(id); }
            }
            if (pending.Count > 0 && wait.Expired)
                throw new TimeoutException($"jobs not final after {wait}: {string.Join(", ", pending)}");
            await Task.Delay(200);
        }
        return final;
    }
}
