using Microsoft.Extensions.Hosting;

namespace Lora.Client;

/// <summary>
/// The lifetime for a host that lives inside another program (the SDK's client host, the CLI's embedded silo).
/// The default console lifetime takes over Ctrl-C and SIGTERM to stop the host, and with it cancels the process's
/// own reaction to them; nobody waits for such a host to stop, so the signals would be swallowed and the program
/// would keep running. This one leaves the signals to the program, which stops the host when it ends.
/// </summary>
public sealed class EmbeddedHostLifetime : IHostLifetime
{
    /// <summary>Starts at once: no console handshake, no signal handlers.</summary>
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing to undo: no handlers were registered.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
