using System.Net;
using System.Net.Sockets;
using Lora.Grains.Hosting;

namespace Lora.Cluster.Tests;

public sealed class PortProbeTests
{
    [Fact]
    public void A_live_listener_is_reported_even_when_it_reuses_its_port_as_orleans_listeners_do()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);   // SO_REUSEADDR + SO_REUSEPORT
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Assert.Equal("is already in use by another process", PortProbe.Problem(IPAddress.Loopback, port));
    }

    [Fact]
    public void A_port_whose_last_connection_lingers_in_time_wait_is_free_for_a_restarted_silo()
    {
        int port;
        using (var server = new TcpListener(IPAddress.Loopback, 0))
        {
            server.Start();
            port = ((IPEndPoint)server.LocalEndpoint).Port;
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            using var accepted = server.AcceptSocket();
            accepted.Close();   // the server side closes first: its end, on the listening port, enters TIME_WAIT
            Thread.Sleep(100);
            client.Close();
            Thread.Sleep(100);
            server.Stop();
        }
        Assert.Null(PortProbe.Problem(IPAddress.Loopback, port));
    }
}
