using System.Net;
using System.Net.Sockets;
using Lora.Cli.Output;

namespace Lora.Cli.Commands.Demo;

/// <summary>Checks that a port the user chose is free before the embedded silo starts. The silo's listeners allow
/// address/port reuse, so on a port another process holds (with reuse too) they bind anyway and clients then reach
/// whichever process the kernel picks; an exclusive bind here fails instead.</summary>
public static class PortProbe
{
    /// <summary>Throws a <see cref="CliException"/> naming <paramref name="flag"/> unless <paramref name="port"/> is 0
    /// (a free one is picked later) or can be bound exclusively on every address now.</summary>
    public static void EnsureFree(string flag, int port)
    {
        if (port == 0) return;
        var listener = new TcpListener(IPAddress.Any, port);
        try
        {
            listener.ExclusiveAddressUse = true;
            listener.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            throw new CliException($"{flag} {port} is already in use (or not allowed): choose another port, or 0 for a free one.");
        }
        finally
        {
            listener.Stop();
            listener.Dispose();
        }
    }
}
