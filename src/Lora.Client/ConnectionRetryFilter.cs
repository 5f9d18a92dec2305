namespace Lora.Client;

/// <summary>Retries the initial connection a few times: a silo that was just started may not accept clients yet,
/// but a client must not hang forever when nothing is running.</summary>
internal sealed class ConnectionRetryFilter(int attempts, TimeSpan delay) : IClientConnectionRetryFilter
{
    private int _failures;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _failures) >= attempts) return false;
        await Task.Delay(delay, cancellationToken);
        return true;
    }
}
