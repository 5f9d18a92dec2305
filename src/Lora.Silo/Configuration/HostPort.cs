using System.Globalization;

namespace Lora.Silo.Configuration;

/// <summary>A <c>HOST:PORT</c> pair as written in <c>--primary</c> and <c>--redis</c>.</summary>
public sealed record HostPort(string Host, int Port)
{
    /// <summary>Parses <c>HOST:PORT</c>; IPv6 hosts must be bracketed (<c>[::1]:6379</c>) so the port is unambiguous.</summary>
    public static bool TryParse(string text, out HostPort? value)
    {
        value = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            return false;
        }

        if (!IsValidHost(host)
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || !IsValidPort(port))
        {
            return false;
        }

        value = new HostPort(host, port);
        return true;
    }

    public static bool IsValidPort(int port) => port is > 0 and <= 65535;

    /// <summary>An IP literal or a DNS name (compose service names, Kubernetes Service names).</summary>
    public static bool IsValidHost(string host) => Uri.CheckHostName(host) != UriHostNameType.Unknown;

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
