namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>Holds a faulted write before it fails (<see cref="FaultInjectingStorage.Stall"/>), as a Redis call hangs
/// before it times out: the test acts while the grain awaits the write, then lets it go on.</summary>
public sealed class WriteStall
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a write has arrived and is being held.</summary>
    public Task Reached => _reached.Task;

    public void Release() => _released.TrySetResult();

    internal Task Hold()
    {
        _reached.TrySetResult();
        return _released.Task;
    }
}
