using System.CommandLine;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora delete JOB`: cancels the job if it runs and erases what the cluster stored for it.</summary>
public static class DeleteCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "Job id" };
        var json = new Option<bool>("--json") { Description = "Print {\"jobId\", \"deleted\"} as JSON" };
        var command = new Command("delete", "Delete a job: cancel it if running, erase its record, adapter and dataset") { job, json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, _) =>
        {
            var id = parse.GetValue(job)!;
            await client.DeleteAsync(id);
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ClusterJson.Print(stdout, new { jobId = id, deleted = true });
            else stdout.WriteLine($"{id}: deleted");
            return 0;
        }, ct));
        return command;
    }
}
