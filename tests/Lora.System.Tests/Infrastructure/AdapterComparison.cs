using Lora.Abstractions;
using Lora.Client;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// Compares a job that lived through a failure with an uninterrupted reference run of the same spec and seed:
/// the PEFT tensors, and the per-step loss history (length = steps, so no gap or repeat; values agree).
/// </summary>
internal static class AdapterComparison
{
    public sealed record Result(string JobId, double MaxTensorDiff, double MaxLossDiff);

    public static async Task<Result> CompareAsync(LoraClusterClient client, OrleansProbe probe, JobSpec job, JobSpec reference, string dir)
    {
        await client.DownloadAdapterAsync(job.JobId, Path.Combine(dir, job.JobId));
        await client.DownloadAdapterAsync(reference.JobId, Path.Combine(dir, reference.JobId));
        var tensors = MaxAbsDiff(Path.Combine(dir, job.JobId, AdapterFiles.WeightsFileName),
            Path.Combine(dir, reference.JobId, AdapterFiles.WeightsFileName));
        var history = await probe.LossHistory(job);
        var expected = await probe.LossHistory(reference);
        Assert.True(history.Length == job.Steps, $"{job.JobId}: {history.Length} losses for {job.Steps} steps (gap or repeat)");
        Assert.Equal(reference.Steps, expected.Length);
        var losses = history.Zip(expected).Max(p => Math.Abs(p.First - p.Second));
        return new Result(job.JobId, tensors, losses);
    }

    /// <summary>Largest |a − b| over all tensors, read by the independent reader of tests/Lora.Reference (not the
    /// product's writer); fails if the files do not hold the same tensors and shapes.</summary>
    private static double MaxAbsDiff(string a, string b)
    {
        var (x, y) = (Lora.Reference.SafetensorsReader.ReadFile(a), Lora.Reference.SafetensorsReader.ReadFile(b));
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        var max = 0.0;
        foreach (var (name, t) in x)
        {
            Assert.Equal(t.Shape, y[name].Shape);
            for (var i = 0; i < t.Data.Length; i++) max = Math.Max(max, Math.Abs(t.Data[i] - y[name].Data[i]));
        }
        return max;
    }
}
