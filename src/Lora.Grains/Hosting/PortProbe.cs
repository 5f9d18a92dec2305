using System.Net;
using System.Net.Sockets;

namespace Lora.Grains.Hosting;

/// <summary>
/// Tells whether a TCP port can be listened on, binding without port reuse. Orleans' listeners reuse ports, so
/// a second silo started on a taken port would come up beside the first and clients would reach either one at
/// random; probing first turns that into an error that names the option.
/// </summary>
public static class PortProbe
{
    /// <summary>Null when <paramref name="port"/> is free on <paramref name="address"/>, else the reason it is not.</summary>
    public static string? Problem(IPAddress address, int port)
    {
        // Exclusive: no SO_REUSEPORT, so a live listener that reuses its port still blocks the bind. .NET keeps
        // SO_REUSEADDR on Unix regardless, so connections lingering in TIME_WAIT after a crash do not (tested).
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ExclusiveAddressUse = true };
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(1);
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return "is already in use by another process";
        }
        catch (SocketException e)
        {
            return $"cannot be listened on ({e.Message})";
        }
    }
}
