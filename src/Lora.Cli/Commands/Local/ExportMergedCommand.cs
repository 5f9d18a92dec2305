using System.CommandLine;
using Lora.Cli.Commands.Cluster;
using Lora.Cli.Output;
using Lora.Training.Checkpoints;
using Lora.Training.Peft;

namespace Lora.Cli.Commands.Local;

/// <summary>`lora export-merged`: folds a PEFT adapter into its base and writes a plain HuggingFace model directory.</summary>
internal static class ExportMergedCommand
{
    public static Command Create()
    {
        var model = LocalOptions.Model();
        var adapter = LocalOptions.Adapter();
        adapter.Required = true;
        var outDir = new Option<string>("--out") { Description = "Directory for the merged model.", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or bfloat16 (default: the base's storage dtype)." };
        var maxShard = new Option<string>("--max-shard-size")
        {
            Description = "Shard the weights past this size, like transformers' max_shard_size (5GB, 500MB, 2GiB).",
            DefaultValueFactory = _ => "5GB",
        };
        var json = LocalOptions.Json();
        var command = new Command("export-merged", "Write base + adapter as one merged HuggingFace model (W + scaling·B·A).")
        {
            model, adapter, outDir, dtype, maxShard, json,
        };
        command.SetAction(parse =>
        {
            var storage = parse.GetValue(dtype);
            if (storage is not (null or "float32" or "bfloat16")) throw new CliException($"--dtype: '{storage}' is not float32 or bfloat16.");
            long maxShardBytes;
            try { maxShardBytes = ShardPlan.ParseSize(parse.GetValue(maxShard)!); }
            catch (FormatException e) { throw new CliException($"--max-shard-size: {e.Message}"); }
            var baseDir = parse.GetValue(model)!;
            if (!File.Exists(Path.Combine(baseDir, "config.json"))) throw new CliException($"--model: '{baseDir}' has no config.json.");
            // Before the merge, which reads the whole base: an unusable --out must fail now, not after it.
            var target = OutDirectory.Check("--out", parse.GetValue(outDir));
            var adapterDir = parse.GetValue(adapter)!;
            if (!Directory.Exists(adapterDir)) throw new CliException($"--adapter: directory '{adapterDir}' does not exist.");
            using var weights = PeftAdapterFiles.Load(adapterDir);
            try { MergedModelExport.ExportDirectory(baseDir, weights, target, storage, maxShardBytes); }
            catch (InvalidDataException e) { throw new CliException($"--adapter '{adapterDir}': {e.Message}"); }
            catch (ArgumentException e) { throw new CliException($"--out: {e.Message}"); }

            var written = Path.GetFullPath(target);
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) JsonOutput.Write(stdout, new { @out = written, mergedModules = weights.Pairs.Count });
            else stdout.WriteLine($"wrote merged model ({weights.Pairs.Count} modules merged) to {written}");
            return 0;
        });
        return command;
    }
}
