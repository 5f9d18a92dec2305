using System.CommandLine;
using System.Globalization;
using Lora.Cli.Output;
using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Model;

namespace Lora.Cli.Commands.Local;

/// <summary>`lora eval`: mean next-token cross-entropy of a base (optionally with an adapter) on text, ids or a JSONL file.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = LocalOptions.Model();
        var adapter = LocalOptions.Adapter();
        var text = new Option<string?>("--text") { Description = "Text to score: <s> + its tokens (no </s>)." };
        var tokenIds = new Option<string?>("--token-ids") { Description = "Token ids to score verbatim, separated by spaces or commas." };
        var data = new Option<string?>("--data") { Description = "JSONL file ({\"text\"} or {\"prompt\",\"completion\"} lines); loss over all of it." };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass (--data).", DefaultValueFactory = _ => 8 };
        var device = LocalOptions.Device();
        // float32 by default even for a bf16 checkpoint: bf16 weights widen exactly, and the loss is then computed
        // without bf16 rounding, which is what a comparison against other implementations needs.
        var dtype = LocalOptions.Dtype("float32");
        var threads = LocalOptions.Threads();
        var json = LocalOptions.Json();

        var command = new Command("eval", "Print the mean next-token cross-entropy (loss) of the model on the given tokens.")
        {
            model, adapter, text, tokenIds, data, batchSize, device, dtype, threads, json,
        };
        command.SetAction(parse =>
        {
            var sources = new[] { parse.GetValue(text) is not null, parse.GetValue(tokenIds) is not null, parse.GetValue(data) is not null };
            if (sources.Count(s => s) != 1) throw new CliException("give exactly one of --text, --token-ids or --data.");
            var dataPath = parse.GetValue(data);
            if (dataPath is not null && !File.Exists(dataPath)) throw new CliException($"--data: file '{dataPath}' does not exist.");
            if (parse.GetValue(batchSize) < 1) throw new CliException($"--batch-size must be >= 1 (got {parse.GetValue(batchSize)}).");

            using var baseModel = LocalModel.LoadBase(parse.GetValue(model)!, parse.GetValue(dtype) ?? "float32", parse.GetValue(device)!, parse.GetValue(threads));
            using var weights = LocalModel.LoadAdapter(parse.GetValue(adapter), baseModel);
            var examples = parse.GetValue(text) is { } t ? [Sequence(TextIds(baseModel, t), baseModel.Config, "--text")]
                : parse.GetValue(tokenIds) is { } ids ? [Sequence(ParseIds(ids, baseModel.Config.VocabSize), baseModel.Config, "--token-ids")]
                : FromJsonl(baseModel, dataPath!, parse.InvocationConfiguration.Error);

            // Synchronous on this thread on purpose: TorchSharp dispose scopes and no_grad are per OS thread.
            var executor = new FusedStepExecutor(baseModel.Model, baseModel.Tokenizer.PadId);
            var loss = executor.Evaluate(weights is null ? null : new SingleAdapterDelta(weights), examples, parse.GetValue(batchSize));
            var tokens = examples.Sum(e => (long)e.LossTokens);

            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) JsonOutput.Write(stdout, new { loss = JsonOutput.Finite(loss), tokens });
            else stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loss {loss:F6} over {tokens} tokens (perplexity {Math.Exp(loss):G6})"));
            return 0;
        });
        return command;
    }

    private static int[] TextIds(BaseModel model, string text)
    {
        var ids = new List<int>();
        if (model.Tokenizer.PrependedBosId is { } bos) ids.Add(bos);
        ids.AddRange(model.Tokenizer.Encode(text));
        return [.. ids];
    }

    /// <summary>Ids used verbatim; the error names the first id the model cannot embed.</summary>
    public static int[] ParseIds(string value, int vocabSize)
    {
        var parts = value.Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]))
                throw new CliException($"--token-ids: '{parts[i]}' (position {i}) is not an integer token id.");
            if (ids[i] < 0 || ids[i] >= vocabSize)
                throw new CliException($"--token-ids: token id {ids[i]} (position {i}) is outside the model's vocabulary [0, {vocabSize}).");
        }
        return ids;
    }

    /// <summary>Every position but the last predicts the next token, as HF computes a causal-LM loss with labels = input_ids.</summary>
    private static TrainingExample Sequence(int[] ids, LlamaConfig config, string flag)
    {
        if (ids.Length < 2) throw new CliException($"{flag}: need at least 2 tokens to predict one (got {ids.Length}).");
        if (ids.Length - 1 > config.MaxPositionEmbeddings)
            throw new CliException($"{flag}: {ids.Length} tokens exceed the model's context of {config.MaxPositionEmbeddings} (+1 target).");
        return new TrainingExample(ids[..^1], ids[1..]);
    }

    private static IReadOnlyList<TrainingExample> FromJsonl(BaseModel model, string path, TextWriter error)
    {
        // All examples, none held out; windows as long as the model's context so long texts are scored whole.
        var context = model.Config.MaxPositionEmbeddings;
        return LocalDataset.Prepare(path, model, context, evalFraction: 0, seed: 0, error,
            remedy: $"eval scores up to the model's context of {context} tokens, so shorten the prompts").Train;
    }
}
