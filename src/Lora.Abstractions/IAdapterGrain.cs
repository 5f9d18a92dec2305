using Orleans.Concurrency;

namespace Lora.Abstractions;

/// <summary>
/// One training job, keyed "{baseModel}/{jobId}" (<see cref="AdapterKeys"/>). Owns its adapter: validates and
/// persists the spec, trains autonomously on its silo's shared base, checkpoints, and serves the finished adapter.
/// </summary>
[Alias("lora.IAdapterGrain")]
public interface IAdapterGrain : IGrainWithStringKey
{
    /// <summary>Stages one chunk of the JSONL dataset before <see cref="Submit"/> (messages stay small).</summary>
    [Alias("UploadDatasetChunk")]
    Task UploadDatasetChunk(int index, int total, string text);

    /// <summary>Validates, persists and starts the job. Submitting the same spec again is a no-op that returns the
    /// current status; a different spec under the same id is rejected.</summary>
    [Alias("Submit"), ResponseTimeout("00:05:00")]   // tokenising a 256 Mi-char dataset takes about a minute here
    Task<JobStatus> Submit(JobSpec spec);

    [AlwaysInterleave, Alias("GetStatus")]
    Task<JobStatus> GetStatus();

    /// <summary>Progress snapshots until the job reaches a final state.</summary>
    [AlwaysInterleave, Alias("Watch")]
    IAsyncEnumerable<JobStatus> Watch(CancellationToken cancellationToken = default);

    /// <summary>Cancels the job unless it has ended; returns its status once its training loop has stopped.</summary>
    [AlwaysInterleave, Alias("Cancel"), ResponseTimeout("00:05:00")]   // may wait behind a Submit's tokenising, then for the loop's final eval
    Task<JobStatus> Cancel();

    /// <summary>Cancels the job if it has not ended, then erases everything it stored (record, checkpoint or adapter,
    /// dataset, reminder) and its index entry, so the id can be used again. False when there was no such job.</summary>
    [AlwaysInterleave, Alias("Delete"), ResponseTimeout("00:05:00")]   // cancels first: the same waits as Cancel
    Task<bool> Delete();

    /// <summary>The finished adapter in PEFT format; fails unless the job completed.</summary>
    [AlwaysInterleave, Alias("DownloadAdapter"), ResponseTimeout("00:05:00")]   // up to 256 MiB from a silo busy training
    Task<AdapterFiles> DownloadAdapter();

    /// <summary>Training loss of every completed step, index i = step i + 1 (durability checks: no gap, no repeat).</summary>
    [AlwaysInterleave, Alias("GetLossHistory")]
    Task<double[]> GetLossHistory();

    [Alias("Generate"), ResponseTimeout("00:02:00")]
    Task<string> Generate(string prompt, int maxNewTokens, double temperature);
}
