using System.Reflection;
using System.Text.RegularExpressions;

namespace Lora.Cli.Output;

/// <summary>A problem the user can fix (bad flag combination, missing file); its message is shown verbatim.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>Turns any failure into the single "error: …" line that scripts and humans both rely on.</summary>
public static partial class CliErrors
{
    public const int Failure = 1;

    /// <summary>Set LORA_CLI_TRACE=1 to get the full exception after the error line when diagnosing a bug.</summary>
    public static int Write(TextWriter stderr, Exception e)
    {
        Write(stderr, Describe(e));
        if (Environment.GetEnvironmentVariable("LORA_CLI_TRACE") == "1") stderr.WriteLine(e);
        return Failure;
    }

    public static int Write(TextWriter stderr, string message)
    {
        stderr.WriteLine($"error: {OneLine(message)}");
        stderr.Flush();
        return Failure;
    }

    /// <summary>The innermost meaningful message: wrappers from tasks and reflection carry none of their own.</summary>
    public static string Describe(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && e.InnerException is not null)
            e = e.InnerException!;
        if (e is ArgumentException a)
        {
            // ArgumentException appends "(Parameter 'x')", which names our variable, not the user's flag.
            var text = a.Message;
            var cut = text.IndexOf(" (Parameter '", StringComparison.Ordinal);
            if (cut >= 0) text = text[..cut];
            return a is ArgumentOutOfRangeException { ActualValue: { } actual } ? $"{text} (got {actual})" : text;
        }
        return e is OperationCanceledException ? "cancelled." : e.Message;
    }

    /// <summary>Multi-line messages (e.g. one line per mismatched adapter module) are joined with "; ".</summary>
    public static string OneLine(string message) =>
        LineBreaks().Replace(message.Trim(), "; ").Replace(":; ", ": ", StringComparison.Ordinal);

    [GeneratedRegex(@"\s*(\r\n|\r|\n)\s*")]
    private static partial Regex LineBreaks();
}
