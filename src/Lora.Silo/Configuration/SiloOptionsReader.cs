using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Lora.Silo.Configuration;

/// <summary>
/// Reads raw option strings from IConfiguration and converts them, collecting every format error instead of
/// stopping at the first. Semantic rules that involve typed values live in <see cref="SiloOptions.Validate"/>.
/// </summary>
internal sealed class SiloOptionsReader(IConfiguration configuration)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    /// <summary>
    /// The prefixed key wins over the full env var name: the former is where the command line lands, the latter is
    /// how a plain <c>AddEnvironmentVariables()</c> (as WebApplication adds by default) presents the variable.
    /// </summary>
    public string Text(SiloOptionDescriptor option) =>
        (configuration[option.Key] ?? configuration[option.EnvVar] ?? option.Default).Trim();

    public int Int(SiloOptionDescriptor option)
    {
        var text = Text(option);
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        Fail(option, text, "is not an integer");
        return int.Parse(option.Default, CultureInfo.InvariantCulture);
    }

    public bool Bool(SiloOptionDescriptor option)
    {
        var text = Text(option);
        switch (text.ToLowerInvariant())
        {
            case "true" or "1" or "yes": return true;
            case "false" or "0" or "no": return false;
            default:
                Fail(option, text, "is not a boolean (true or false)");
                return bool.Parse(option.Default);
        }
    }

    /// <summary>Accepts only the enum's names, case-insensitively; Enum.TryParse would also take "7".</summary>
    public TEnum Choice<TEnum>(SiloOptionDescriptor option) where TEnum : struct, Enum
    {
        var text = Text(option);
        foreach (var value in Enum.GetValues<TEnum>())
        {
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        var allowed = string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()));
        Fail(option, text, $"is not one of: {allowed}");
        return Enum.GetValues<TEnum>().First(v => string.Equals(v.ToString(), option.Default, StringComparison.OrdinalIgnoreCase));
    }

    public HostPort? OptionalHostPort(SiloOptionDescriptor option)
    {
        var text = Text(option);
        if (text.Length == 0)
        {
            return null;
        }

        if (HostPort.TryParse(text, out var value))
        {
            return value;
        }

        Fail(option, text, "is not HOST:PORT");
        return null;
    }

    public IPAddress? OptionalIp(SiloOptionDescriptor option)
    {
        var text = Text(option);
        if (text.Length == 0)
        {
            return null;
        }

        if (IPAddress.TryParse(text, out var value))
        {
            return value;
        }

        Fail(option, text, "is not an IP address");
        return null;
    }

    private void Fail(SiloOptionDescriptor option, string value, string problem) =>
        _errors.Add(SiloOptions.Describe(option, value, problem));
}
