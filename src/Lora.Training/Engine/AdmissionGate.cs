namespace Lora.Training.Engine;

/// <summary>
/// Bounds resident adapter state by a byte budget and a count. Waiters are admitted strictly in arrival order, so
/// a burst of large jobs cannot starve an earlier small one and no job jumps the queue.
/// </summary>
public sealed class AdmissionGate(long budgetBytes, int maxAdapters)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(long Bytes, TaskCompletionSource Admitted)> _waiting = new();
    private long _usedBytes;
    private int _resident;

    public long UsedBytes { get { lock (_gate) return _usedBytes; } }
    public int Resident { get { lock (_gate) return _resident; } }
    public int Waiting { get { lock (_gate) return _waiting.Count; } }

    public async Task AdmitAsync(long bytes, CancellationToken cancellationToken)
    {
        if (bytes > budgetBytes)
            throw new ArgumentException($"adapter state of {bytes:N0} bytes exceeds the engine's whole memory budget of {budgetBytes:N0} bytes.");
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_gate)
        {
            if (_waiting.Count == 0 && Fits(bytes)) { Take(bytes); return; }
            node = _waiting.AddLast((bytes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }
        await using var registration = cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (node.List is null) return;   // already admitted
                _waiting.Remove(node);
                AdmitHeads();   // the waiters it held back may fit now
            }
            node.Value.Item2.TrySetCanceled(cancellationToken);
        });
        await node.Value.Item2.Task;
    }

    public void Release(long bytes)
    {
        lock (_gate)
        {
            _usedBytes -= bytes;
            _resident--;
            AdmitHeads();
        }
    }

    /// <summary>Admits waiters from the front while they fit (lock held).</summary>
    private void AdmitHeads()
    {
        while (_waiting.First is { } first && Fits(first.Value.Bytes))
        {
            _waiting.RemoveFirst();
            Take(first.Value.Bytes);
            first.Value.Admitted.TrySetResult();
        }
    }

    private bool Fits(long bytes) => _usedBytes + bytes <= budgetBytes && _resident < maxAdapters;

    private void Take(long bytes)
    {
        _usedBytes += bytes;
        _resident++;
    }
}
