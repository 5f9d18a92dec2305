namespace Lora.Silo.Configuration;

/// <summary>
/// One row of the silo option contract: the command-line switch, the environment variable, the default
/// (as it would be typed) and what it means. <see cref="SiloOptions.All"/> is the single source that parsing,
/// docs/operations.md and the deploy checks all read, so they cannot drift apart.
/// </summary>
public sealed record SiloOptionDescriptor(string Switch, string EnvVar, string Default, string Description)
{
    /// <summary>
    /// The IConfiguration key: the env var without <see cref="SiloOptions.EnvPrefix"/>, which is how
    /// <c>AddEnvironmentVariables(SiloOptions.EnvPrefix)</c> presents it and where the switch mappings point.
    /// </summary>
    public string Key => EnvVar[SiloOptions.EnvPrefix.Length..];
}
