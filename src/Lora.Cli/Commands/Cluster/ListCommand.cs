using System.CommandLine;
using Lora.Cli.Output;

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
            var listing = await client.ListAllJobsAsync();
            var statuses = listing.Jobs;
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ClusterJson.Print(stdout, statuses);
            else if (statuses.Count == 0 && listing.Unreachable.Count == 0) stdout.WriteLine("no jobs");
            else if (statuses.Count > 0) ConsoleFactory.For(stdout).Write(StatusTables.Jobs(statuses));
            // Warnings, not a failure: the reachable jobs are still worth listing (a silo for the other model may be down).
            var stderr = parse.InvocationConfiguration.Error;
            foreach (var u in listing.Unreachable)
                stderr.WriteLine($"warning: job '{u.Job.JobId}' (base model '{u.Job.BaseModel}') is unavailable: {ClusterRunner.OneLine(u.Reason)}");
            return 0;
        }, ct));
        return command;
    }
}
