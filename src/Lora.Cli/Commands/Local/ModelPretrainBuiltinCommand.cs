using System.CommandLine;
using Lora.Cli.Output;
using Lora.Training.Pretraining;

namespace Lora.Cli.Commands.Local;

/// <summary>
/// `lora model pretrain-builtin`: reproduces the built-in base model (models/builtin-tiny) from its corpus and seed,
/// then trains one adapter per example task and writes the measured results into the model's README.md.
/// </summary>
internal static class ModelPretrainBuiltinCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Directory to write the model into.", Required = true };
        var seed = LocalOptions.Seed();
        var skipAdapters = new Option<bool>("--skip-adapters") { Description = "Only pretrain; do not train and score the example-task adapters." };
        var threads = LocalOptions.Threads();
        var json = LocalOptions.Json();
        var command = new Command("pretrain-builtin", "Reproduce the built-in pretrained base model (about 5 minutes of CPU pretraining).")
        {
            outDir, seed, skipAdapters, threads, json,
        };
        command.SetAction(parse =>
        {
            LocalModel.UseThreads(parse.GetValue(threads));
            var s = parse.GetValue(seed);
            var report = BuiltinModel.Produce(parse.GetValue(outDir)!, parse.InvocationConfiguration.Error, s,
                BuiltinModel.PretrainSettings(s), parse.GetValue(skipAdapters) ? null : new AdapterDemoSettings { Seed = s });
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) JsonOutput.Write(stdout, report);
            else stdout.WriteLine($"wrote {Path.GetFullPath(parse.GetValue(outDir)!)} (held-out loss {report.HeldOutEnglishLoss:F3} nats/token)");
            return 0;
        });
        return command;
    }
}
