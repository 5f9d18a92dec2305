using System.CommandLine;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora cancel JOB`: stops a job; its last checkpoint stays.</summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "Job id" };
        var json = new Option<bool>("--json") { Description = "Print the resulting status as JSON" };
        var command = new Command("cancel", "Cancel a job") { job, json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, _) =>
        {
            var status = await client.CancelAsync(parse.GetValue(job)!);
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ClusterJson.Print(stdout, status);
            else stdout.WriteLine($"{status.JobId}: {status.State}");
            return 0;
        }, ct));
        return command;
    }
}
