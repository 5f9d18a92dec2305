using System.CommandLine;

namespace Lora.Cli.Commands.Cluster;

/// <summary>Registers the cluster commands on the `lora` root. `generate` is shared with the local commands and is
/// not added here: see <see cref="ClusterGenerate"/>.</summary>
public static class ClusterCommands
{
    public static RootCommand AddClusterCommands(this RootCommand root)
    {
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(WaitCommand.Create());
        root.Subcommands.Add(CancelCommand.Create());
        root.Subcommands.Add(DeleteCommand.Create());
        root.Subcommands.Add(DownloadCommand.Create());
        return root;
    }
}
