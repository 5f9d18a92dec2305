using System.CommandLine;
using System.Globalization;
using Lora.Cli.Commands.Cluster;
using Lora.Cli.Output;
using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Peft;

namespace Lora.Cli.Commands.Local;

/// <summary>`lora train-local`: train one adapter in this process and write it in PEFT format.</summary>
internal static class TrainLocalCommand
{
    public static Command Create()
    {
        var model = LocalOptions.Model();
        var data = new Option<string>("--data") { Description = "JSONL training data ({\"text\"} or {\"prompt\",\"completion\"} lines).", Required = true };
        var outDir = new Option<string>("--out") { Description = "Directory for adapter_config.json + adapter_model.safetensors.", Required = true };
        var rank = Opt("--rank", 8, "LoRA rank r.");
        var alpha = Opt("--alpha", 16.0, "LoRA alpha (scaling alpha/r, or alpha/sqrt(r) with --rslora).");
        var dropout = Opt("--dropout", 0.0, "Dropout on the LoRA path input.");
        var targets = Opt("--targets", "q_proj,v_proj", "Comma-separated modules (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj) or all-linear.");
        var rsLora = new Option<bool>("--rslora") { Description = "rsLoRA scaling alpha/sqrt(r)." };
        var init = Opt("--init", LoraSettings.KaimingUniform, "Init of lora_A: kaiming-uniform or gaussian.");
        var lr = Opt("--lr", 1e-3, "Peak learning rate.");
        var steps = Opt("--steps", 100, "Optimizer steps.");
        var batchSize = Opt("--batch-size", 8, "Sequences per micro-batch.");
        var seqLen = Opt("--seq-len", 128, "Tokens per training sequence.");
        var warmup = Opt("--warmup-steps", 0, "Linear warmup steps.");
        var schedule = Opt("--schedule", TrainingSettings.Cosine, "cosine, linear or constant decay after warmup.");
        var weightDecay = Opt("--weight-decay", 0.0, "AdamW weight decay.");
        var gradAccum = Opt("--grad-accum", 1, "Micro-batches per optimizer step.");
        var evalFraction = Opt("--eval-fraction", 0.1, "Share of examples held out for eval loss (0 disables).");
        var seed = LocalOptions.Seed();
        var device = LocalOptions.Device();
        var dtype = LocalOptions.Dtype("the checkpoint's");
        var threads = LocalOptions.Threads();
        var json = LocalOptions.Json();

        var command = new Command("train-local", "Train one LoRA adapter in this process and save it in PEFT format.")
        {
            model, data, outDir, rank, alpha, dropout, targets, rsLora, init, lr, steps, batchSize, seqLen, warmup, schedule,
            weightDecay, gradAccum, evalFraction, seed, device, dtype, threads, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var s = parse.GetValue(seed);
            // Settings first: a typo in a flag should fail in milliseconds, not after loading the model.
            var lora = new LoraSettings
            {
                Rank = parse.GetValue(rank), Alpha = parse.GetValue(alpha), Dropout = parse.GetValue(dropout),
                TargetModules = parse.GetValue(targets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                UseRsLora = parse.GetValue(rsLora), Init = parse.GetValue(init)!, Seed = s,
            }.Validate();
            var training = new TrainingSettings
            {
                LearningRate = parse.GetValue(lr), Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batchSize),
                SeqLen = parse.GetValue(seqLen), WarmupSteps = parse.GetValue(warmup), Schedule = parse.GetValue(schedule)!,
                WeightDecay = parse.GetValue(weightDecay), GradientAccumulation = parse.GetValue(gradAccum),
                EvalFraction = parse.GetValue(evalFraction), Seed = s,
            }.Validate();
            // The adapter is written after the whole run: an unusable --out must fail now, not then.
            OutDirectory.Check("--out", parse.GetValue(outDir));
            var dataPath = parse.GetValue(data)!;
            if (!File.Exists(dataPath)) throw new CliException($"--data: file '{dataPath}' does not exist.");

            using var baseModel = LocalModel.LoadBase(parse.GetValue(model)!, parse.GetValue(dtype), parse.GetValue(device)!, parse.GetValue(threads));
            lora.ValidateFor(baseModel.Config);
            training.Validate(baseModel.Config.MaxPositionEmbeddings);
            var prepared = LocalDataset.Prepare(dataPath, baseModel, training.SeqLen, training.EvalFraction, s,
                parse.InvocationConfiguration.Error);

            // Every fused pass is padded to the longest example in it, so these are all the lengths training will see.
            using var engine = new TrainingEngine(baseModel.Id, baseModel.Model, baseModel.Tokenizer);
            var job = new AdapterJob("train-local", lora, training, prepared.Train, prepared.Eval);
            var stdout = parse.InvocationConfiguration.Output;
            var asJson = parse.GetValue(json);
            // With --json, stdout carries only the result object; the bar goes to stderr.
            var console = ConsoleFactory.For(asJson ? parse.InvocationConfiguration.Error : stdout);
            var summary = await TrainingProgressView.RunAsync(console, training.Steps,
                progress => AdapterTrainer.TrainAsync(engine, job, progress, ct));
            var outPath = Path.GetFullPath(parse.GetValue(outDir)!);
            using (summary.Weights) PeftAdapterFiles.Save(outPath, summary.Weights, baseModel.Path);

            var tokensPerSecond = summary.TokensPerSecond;
            if (asJson)
                JsonOutput.Write(stdout, new
                {
                    initialTrainLoss = JsonOutput.Finite(summary.InitialTrainLoss), finalTrainLoss = JsonOutput.Finite(summary.FinalTrainLoss),
                    baseEvalLoss = JsonOutput.Finite(summary.BaseEvalLoss), finalEvalLoss = JsonOutput.Finite(summary.FinalEvalLoss),
                    steps = summary.Steps, tokens = summary.Tokens, tokensPerSecond, durationSeconds = summary.Duration.TotalSeconds,
                    trainExamples = prepared.Train.Count, evalExamples = prepared.Eval.Count, @out = outPath,
                });
            else
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{summary.Steps} steps, train loss {summary.InitialTrainLoss:F4} -> {summary.FinalTrainLoss:F4}, eval loss {summary.BaseEvalLoss:F4} -> {summary.FinalEvalLoss:F4}, {summary.Tokens} tokens ({tokensPerSecond:F0} tokens/s); adapter written to {outPath}"));
            return 0;
        });
        return command;
    }

    private static Option<T> Opt<T>(string name, T fallback, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => fallback };
}
