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
        var a = await client.DownloadAdapterAsync(job.JobId, Path.Combine(dir, job.JobId));
        var b = await client.DownloadAdapterAsync(reference.JobId, Path.Combine(dir, reference.JobId));
        var tensors = Safetensors.MaxAbsDiff(
            await File.ReadAllBytesAsync(Path.Combine(dir, job.JobId, AdapterFiles.WeightsFileName)),
            await File.ReadAllBytesAsync(Path.Combine(dir, reference.JobId, AdapterFiles.WeightsFileName)));
        _ = (a, b);
        var history = await probe.LossHistory(job);
        var expected = await probe.LossHistory(reference);
        Assert.True(history.Length == job.Steps, $"{job.JobId}: {history.Length} losses for {job.Steps} steps (gap or repeat)");
        Assert.Equal(reference.Steps, expected.Length);
        var losses = history.Zip(expected).Max(p => Math.Abs(p.First - p.Second));
        return new Result(job.JobId, tensors, losses);
    }
}
