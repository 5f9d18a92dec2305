using System.CommandLine;
using Lora.Cli.Commands.Cluster;
using Lora.Cli.Output;
using Lora.Training.Engine;
using Lora.Training.Lora;

namespace Lora.Cli.Commands.Local;

/// <summary>`lora generate`: continue a prompt with a local base (optionally with an adapter), or with a finished
/// cluster job's adapter when --job is given. Greedy at temperature 0.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        // --model (local) and --job (a finished cluster job) are alternatives, so --model is not required here.
        var model = LocalOptions.Model();
        model.Required = false;
        var adapter = LocalOptions.Adapter();
        var prompt = new Option<string>("--prompt") { Description = "Text to continue (encoded after <s>).", Required = true };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate (stops early at </s>).", DefaultValueFactory = _ => 32 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy; otherwise sample from softmax(logits / T).", DefaultValueFactory = _ => 0 };
        var seed = LocalOptions.Seed();
        var device = LocalOptions.Device();
        var dtype = LocalOptions.Dtype("float32");
        var threads = LocalOptions.Threads();
        var json = LocalOptions.Json();

        var command = new Command("generate", "Generate a continuation of --prompt.")
        {
            model, adapter, prompt, maxNew, temperature, seed, device, dtype, threads, json,
        };
        ClusterGenerate.AddClusterOptions(command);
        command.SetAction(async (parse, ct) =>
        {
            if (ClusterGenerate.IsClusterRequest(parse)) return await ClusterGenerate.RunClusterGenerateAsync(parse, ct);
            if (string.IsNullOrEmpty(parse.GetValue(model))) throw new CliException("generate needs --model DIR (local) or --job JOB (cluster).");
            // At least 1, as on the cluster (--job): a request for nothing is a mistake on either path.
            if (parse.GetValue(maxNew) < 1) throw new CliException($"--max-new-tokens must be at least 1 (got {parse.GetValue(maxNew)}).");
            var t = parse.GetValue(temperature);
            if (!double.IsFinite(t) || t < 0) throw new CliException($"--temperature must be a finite number >= 0 (got {t}).");

            using var baseModel = LocalModel.LoadBase(parse.GetValue(model)!, parse.GetValue(dtype) ?? "float32", parse.GetValue(device)!, parse.GetValue(threads));
            using var weights = LocalModel.LoadAdapter(parse.GetValue(adapter), baseModel);
            // Synchronous on this thread: torch grad mode and dispose scopes are per OS thread.
            var completion = TextGenerator.Generate(baseModel.Model, baseModel.Tokenizer, weights is null ? null : new SingleAdapterDelta(weights),
                parse.GetValue(prompt)!, parse.GetValue(maxNew), t, parse.GetValue(seed));

            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) JsonOutput.Write(stdout, new { prompt = parse.GetValue(prompt), completion });
            else stdout.WriteLine(completion);
            return 0;
        });
        return command;
    }
}
