using System.CommandLine;
using Spectre.Console;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora list`: every job the cluster knows.</summary>
public static class ListCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array of statuses" };
        var command = new Command("list", "List all jobs with their status") { json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, _) =>
        {
            var statuses = await client.ListJobsAsync();
            if (parse.GetValue(json)) ClusterJson.Print(statuses);
            else if (statuses.Count == 0) Console.Out.WriteLine("no jobs");
            else AnsiConsole.Write(StatusTables.Jobs(statuses));
            return 0;
        }, ct));
        return command;
    }
}
