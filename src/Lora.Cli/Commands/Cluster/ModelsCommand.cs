using System.CommandLine;
using Lora.Cli.Output;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora models`: the base models the cluster hosts.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array" };
        var command = new Command("models", "List the base models hosted by the cluster") { json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, _) =>
        {
            var models = await client.ListModelsAsync();
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ClusterJson.Print(stdout, models);
            else if (models.Count == 0) stdout.WriteLine("no base models registered (is a silo running?)");
            else ConsoleFactory.For(stdout).Write(StatusTables.Models(models));
            return 0;
        }, ct));
        return command;
    }
}
