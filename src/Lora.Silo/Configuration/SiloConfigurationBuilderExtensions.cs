using Microsoft.Extensions.Configuration;

namespace Lora.Silo.Configuration;

/// <summary>Adds the silo's option sources in precedence order: environment first, command line on top.</summary>
public static class SiloConfigurationBuilderExtensions
{
    /// <summary>
    /// Adds <c>LORA_*</c> environment variables and the command-line switches of <see cref="SiloOptions.All"/>.
    /// Unknown switches are rejected here because AddCommandLine would silently turn a typo such as
    /// <c>--silo-prot</c> into an unused key and the silo would start on the default port.
    /// </summary>
    public static IConfigurationBuilder AddSiloOptionSources(this IConfigurationBuilder builder, string[] args)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(args);
        var mappings = SiloOptions.SwitchMappings;
        var errors = args
            .Where(a => a.StartsWith('-'))
            .Select(a => a.Split('=', 2)[0])
            .Where(s => !mappings.ContainsKey(s))
            .Select(s => $"{s} is not a silo option; known switches: {string.Join(", ", mappings.Keys)}.")
            .ToList();
        // AddCommandLine drops a last switch that has no value, and the silo would quietly start with the default.
        if (args.Length > 0 && mappings.ContainsKey(args[^1]))
            errors.Add($"{args[^1]} needs a value.");
        if (errors.Count > 0)
        {
            throw new SiloOptionsException(errors);
        }

        return builder
            .AddEnvironmentVariables(SiloOptions.EnvPrefix)
            .AddCommandLine(args, mappings);
    }
}
