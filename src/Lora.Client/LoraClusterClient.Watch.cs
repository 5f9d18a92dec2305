using System.Runtime.CompilerServices;
using Lora.Abstractions;

namespace Lora.Client;

public sealed partial class LoraClusterClient
{
    /// <summary>How many status polls in a row may fail before <see cref="WatchAsync"/> gives up.</summary>
    private const int MaxConsecutivePollFailures = 30;

    /// <summary>
    /// Progress snapshots of a job until it reaches a final state (the last snapshot is final). Uses the grain's
    /// progress stream; if the stream breaks (silo restart, re-placement, gateway loss) it falls back to polling
    /// <see cref="LoraClientOptions.PollInterval"/> so a watcher survives the very failures the cluster is built to
    /// survive. Consecutive identical snapshots are reported once. Throws <see cref="LoraClientException"/> when the job
    /// is gone (deleted meanwhile) or the cluster stays unreachable for 30 polls in a row.
    /// </summary>
    public async IAsyncEnumerable<JobStatus> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var grain = await CallAsync(() => ResolveAsync(jobId));
        JobStatus? last = null;
        var stream = grain.Watch(ct).GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                var next = await TryNextAsync(stream, ct);
                if (next is null) break; // stream ended or broke: polling decides whether the job is really final
                if (next != last) yield return next;
                last = next;
                if (next.IsFinal) yield break;
            }
        }
        finally
        {
            try { await stream.DisposeAsync(); }
            catch (Exception) when (!ct.IsCancellationRequested) { /* the stream is already broken; nothing to release */ }
        }

        var failures = 0;
        while (true)
        {
            JobStatus current;
            try
            {
                current = Existing(await grain.GetStatus(), jobId);
                failures = 0;
            }
            catch (Exception e) when (e is not LoraClientException && !ct.IsCancellationRequested && ++failures < MaxConsecutivePollFailures)
            {
                await Task.Delay(PollInterval, ct);
                continue;
            }
            catch (Exception e) when (ClusterErrors.Translate(e, Options) is { } mapped) { throw mapped; }
            if (current != last) yield return current;
            last = current;
            if (current.IsFinal) yield break;
            await Task.Delay(PollInterval, ct);
        }
    }

    private static async Task<JobStatus?> TryNextAsync(IAsyncEnumerator<JobStatus> stream, CancellationToken ct)
    {
        try
        {
            return await stream.MoveNextAsync() ? stream.Current : null;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until every job is final or <paramref name="timeout"/> elapses; returns one status per id, in input
    /// order. On timeout the unfinished jobs are reported with their current (non-final) status — check
    /// <see cref="JobStatus.IsFinal"/>. Unknown ids throw <see cref="LoraClientException"/> before waiting starts. When
    /// following one job fails meanwhile (deleted, or unreachable for good), the wait ends at once with that error
    /// rather than after the other jobs: their outcome can no longer make the whole wait succeed. The jobs themselves
    /// keep running.
    /// </summary>
    public async Task<IReadOnlyList<JobStatus>> WaitAsync(IEnumerable<string> jobIds, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var ids = jobIds.ToList();
        // Fail fast on unknown ids instead of after the timeout.
        var initial = await Task.WhenAll(ids.Select(GetStatusAsync));
        // stop ends every follower (caller's cancel, or another job's failure); deadline also ends them on timeout.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        if (timeout is { } t) deadline.CancelAfter(t);
        return await FailFast.WhenAllAsync(ids.Select((id, i) => WaitOneAsync(id, initial[i], deadline.Token, stop.Token)).ToList(), stop);
    }

    private async Task<JobStatus> WaitOneAsync(string jobId, JobStatus initial, CancellationToken deadline, CancellationToken stop)
    {
        if (initial.IsFinal) return initial;
        var last = initial;
        try
        {
            await foreach (var status in WatchAsync(jobId, deadline)) last = status;
            return last;
        }
        catch (Exception) when (deadline.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            // Timed out (a cancelled stream may surface as something other than OperationCanceledException): report where the job is now rather than a possibly stale snapshot.
            try { return await GetStatusAsync(jobId); }
            catch (Exception) { return last; }
        }
    }
}
