using System.Net;
using System.Net.Sockets;

namespace Lora.System.Tests.Infrastructure;

/// <summary>Ports the OS says are free right now. All listeners are held until every port is chosen so one call
/// never returns the same port twice.</summary>
internal static class FreePorts
{
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var l in listeners) l.Start();
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    public static int One() => Take(1)[0];
}
