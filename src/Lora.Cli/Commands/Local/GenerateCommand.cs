using System.CommandLine;
using Lora.Cli.Output;
using Lora.Training.Engine;
using Lora.Training.Lora;

namespace Lora.Cli.Commands.Local;

/// <summary>`lora generate`: continue a prompt with the base, optionally with an adapter (greedy at temperature 0).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = LocalOptions.Model();
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
        command.SetAction(parse =>
        {
            if (parse.GetValue(maxNew) < 0) throw new CliException($"--max-new-tokens must be >= 0 (got {parse.GetValue(maxNew)}).");
            var t = parse.GetValue(temperature);
            if (!double.IsFinite(t) || t < 0) throw new CliException($"--temperature must be a finite number >= 0 (got {t}).");

            using var baseModel = LocalModel.LoadBase(parse.GetValue(model)!, parse.GetValue(dtype) ?? "float32", parse.GetValue(device)!, parse.GetValue(threads));
            using var weights = LocalModel.LoadAdapter(parse.GetValue(adapter), baseModel.Config);
            var promptLength = (baseModel.Tokenizer.BosId is null ? 0 : 1) + baseModel.Tokenizer.Encode(parse.GetValue(prompt)!).Length;
            var lastLength = Math.Min(promptLength + parse.GetValue(maxNew), baseModel.Config.MaxPositionEmbeddings);
            RotaryCacheWarmup.Prewarm(baseModel.Model, Enumerable.Range(promptLength, Math.Max(0, lastLength - promptLength + 1)));
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
