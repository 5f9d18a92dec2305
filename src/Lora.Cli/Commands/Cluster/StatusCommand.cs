using System.CommandLine;
using Lora.Cli.Output;
using Spectre.Console;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora status JOB`: one job's progress.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "Job id" };
        var json = new Option<bool>("--json") { Description = "Print the status as JSON" };
        var command = new Command("status", "Show a job's state, step and losses") { job, json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, _) =>
        {
            var status = await client.GetStatusAsync(parse.GetValue(job)!);
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ClusterJson.Print(stdout, status);
            else
            {
                var console = ConsoleFactory.For(stdout);
                console.Write(StatusTables.Jobs([status]));
                if (status.DatasetWarning is { } warning) console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
            }
            return 0;
        }, ct));
        return command;
    }
}
