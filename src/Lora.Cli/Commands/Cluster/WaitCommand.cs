using System.CommandLine;
using System.Globalization;
using Lora.Client;
using Lora.Cli.Output;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora wait JOB…`: blocks until the jobs are final; exit 0 only if all completed in time.</summary>
public static class WaitCommand
{
    /// <summary>The longest timeout a cancellation timer accepts (uint.MaxValue - 1 ms, about 49.7 days), in whole seconds.</summary>
    public const int MaxTimeoutSeconds = 4_294_967;

    public static Command Create()
    {
        var jobs = new Argument<string[]>("jobs") { Description = "Job ids", Arity = ArgumentArity.OneOrMore };
        var timeout = new Option<double?>("--timeout") { Description = "Give up after this many seconds", HelpName = "SECONDS" };
        var json = new Option<bool>("--json") { Description = "Print the final statuses as a JSON array" };
        var command = new Command("wait", "Wait until jobs finish; non-zero exit if any failed, was canceled or timed out") { jobs, timeout, json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, () => Timeout(parse.GetValue(timeout)), async (client, token) =>
        {
            var seconds = parse.GetValue(timeout);
            var statuses = await client.WaitAsync(parse.GetValue(jobs)!, Timeout(seconds), token);
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ClusterJson.Print(stdout, statuses);
            else ConsoleFactory.For(stdout).Write(StatusTables.Jobs(statuses));
            return JobOutcome.Problem(statuses, seconds) is { } problem ? ClusterRunner.Fail(parse.InvocationConfiguration.Error, problem) : 0;
        }, ct));
        return command;
    }

    /// <summary>--timeout as a span (null = wait forever); NaN, infinities, non-positive and too-large values would
    /// otherwise surface as TimeSpan or timer exceptions that name our parameters instead of the flag.</summary>
    public static TimeSpan? Timeout(double? seconds) => seconds switch
    {
        null => null,
        { } s when double.IsFinite(s) && s > 0 && s <= MaxTimeoutSeconds => TimeSpan.FromSeconds(s),
        { } s => throw new LoraClientException(
            $"--timeout must be a number of seconds above 0 and at most {MaxTimeoutSeconds} (got {s.ToString(CultureInfo.InvariantCulture)})."),
    };
}
