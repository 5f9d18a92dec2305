using Lora.Abstractions;
using Lora.Grains.Jobs;

namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>Where the storage fault tests strike, and how they wait for a job whose activations come and go.</summary>
internal static class Faults
{
    public static Func<string, object?, WriteFault> Once(Func<string, object?, bool> when, WriteFault fault)
    {
        var fired = 0;
        return (name, state) => when(name, state) && Interlocked.Exchange(ref fired, 1) == 0 ? fault : WriteFault.None;
    }

    /// <summary>A write of the job's record in the given state.</summary>
    public static Func<string, object?, bool> JobRecordWrite(string jobId, JobState state) =>
        (name, record) => name == "job" && record is AdapterJobState r && r.State == state && r.Spec?.JobId == jobId;

    /// <summary>The job's final status, tolerating the calls that fail while an activation goes away.</summary>
    public static async Task<JobStatus> PollFinal(IAdapterGrain grain, Action<JobStatus>? observe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            JobStatus status;
            try { status = await grain.GetStatus(); }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(50); continue; }   // mid-deactivation
            observe?.Invoke(status);
            if (status.IsFinal || DateTime.UtcNow > deadline) return status;
            await Task.Delay(50);
        }
    }
}
