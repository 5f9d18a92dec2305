using System.CommandLine;
using Spectre.Console;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora wait JOB…`: blocks until the jobs are final; exit 0 only if all completed in time.</summary>
public static class WaitCommand
{
    public static Command Create()
    {
        var jobs = new Argument<string[]>("jobs") { Description = "Job ids", Arity = ArgumentArity.OneOrMore };
        var timeout = new Option<double?>("--timeout") { Description = "Give up after this many seconds", HelpName = "SECONDS" };
        var json = new Option<bool>("--json") { Description = "Print the final statuses as a JSON array" };
        var command = new Command("wait", "Wait until jobs finish; non-zero exit if any failed, was canceled or timed out") { jobs, timeout, json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, token) =>
        {
            var seconds = parse.GetValue(timeout);
            if (seconds is <= 0) return ClusterRunner.Fail("--timeout must be positive.");
            var statuses = await client.WaitAsync(parse.GetValue(jobs)!, seconds is { } s ? TimeSpan.FromSeconds(s) : null, token);
            if (parse.GetValue(json)) ClusterJson.Print(statuses);
            else AnsiConsole.Write(StatusTables.Jobs(statuses));
            return JobOutcome.Problem(statuses, seconds) is { } problem ? ClusterRunner.Fail(problem) : 0;
        }, ct));
        return command;
    }
}
