using System.CommandLine;

namespace Lora.Cli.Commands.Local;

/// <summary>Commands that run entirely in this process, with no cluster: model init-tiny / pretrain-builtin, train-local, eval, generate, export-merged.</summary>
public static class LocalCommands
{
    public static RootCommand AddLocalCommands(this RootCommand root)
    {
        var model = new Command("model", "Create base model directories.");
        model.Add(ModelInitTinyCommand.Create());
        model.Add(ModelPretrainBuiltinCommand.Create());
        root.Add(model);
        root.Add(TrainLocalCommand.Create());
        root.Add(EvalCommand.Create());
        root.Add(GenerateCommand.Create());
        root.Add(ExportMergedCommand.Create());
        return root;
    }
}
