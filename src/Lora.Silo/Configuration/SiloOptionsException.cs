namespace Lora.Silo.Configuration;

/// <summary>
/// Thrown when silo options are invalid. Carries every problem at once, each naming the switch, the env var and
/// the bad value, so an operator fixes a deployment in one round instead of one crash-loop per mistake.
/// </summary>
public sealed class SiloOptionsException : Exception
{
    public SiloOptionsException(IReadOnlyList<string> errors)
        : base("Invalid silo options:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}
