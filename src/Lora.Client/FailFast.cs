namespace Lora.Client;

/// <summary>Waiting on a group of tasks that should all succeed. <see cref="Task.WhenAll(IEnumerable{Task})"/> reports a
/// failure only after every other task ended, which for jobs that train for hours hides it for hours.</summary>
internal static class FailFast
{
    /// <summary>The results in input order once all tasks succeed. When one fails (or is cancelled), cancels
    /// <paramref name="stop"/> so the others end, waits for them, and rethrows that first failure.</summary>
    public static async Task<T[]> WhenAllAsync<T>(IReadOnlyList<Task<T>> tasks, CancellationTokenSource stop)
    {
        var pending = new HashSet<Task<T>>(tasks);
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.IsCompletedSuccessfully) continue;
            await stop.CancelAsync();
            try { await Task.WhenAll(pending); }
            catch (Exception) { /* the others were stopped on purpose: only the first failure is news */ }
            await done;
        }
        return await Task.WhenAll(tasks);
    }
}
