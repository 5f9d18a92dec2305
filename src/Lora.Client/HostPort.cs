using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lora.Client;

/// <summary>A "host:port" pair as users type it (IPv6 literals in brackets: "[::1]:30000").</summary>
public readonly record struct HostPort(string Host, int Port)
{
    /// <summary>Parses "host:port"; throws <see cref="LoraClientException"/> naming the bad input.</summary>
    public static HostPort Parse(string text)
    {
        if (!TryParse(text, out var result))
            throw new LoraClientException($"'{text}' is not of the form HOST:PORT (e.g. localhost:30000).");
        return result;
    }

    /// <summary>Parses "host:port" without throwing.</summary>
    public static bool TryParse(string? text, out HostPort result)
    {
        result = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return false;
        var host = text[..colon].Trim();
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) return false; // unbracketed IPv6 is ambiguous
        if (host.Length == 0) return false;
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535) return false;
        result = new HostPort(host, port);
        return true;
    }

    /// <summary>Resolves the host to an endpoint, preferring IPv4 because silos typically listen on IPv4 only
    /// ("localhost" resolves to ::1 first on many systems).</summary>
    public async Task<IPEndPoint> ResolveAsync(CancellationToken ct = default)
    {
        if (IPAddress.TryParse(Host, out var literal)) return new IPEndPoint(literal, Port);
        IPAddress[] addresses;
        try { addresses = await Dns.GetHostAddressesAsync(Host, ct); }
        catch (SocketException e) { throw new LoraClientException($"cannot resolve host '{Host}': {e.Message}", e); }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new LoraClientException($"cannot resolve host '{Host}': no addresses.");
        return new IPEndPoint(chosen, Port);
    }

    /// <inheritdoc />
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
