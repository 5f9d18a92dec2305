using System.Globalization;
using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Examples;
using Lora.Training.Lora;
using Lora.Training.Model;
using Lora.Training.Tokenization;

namespace Lora.Training.Pretraining;

/// <summary>Held-out numbers for one task: eval loss and exact-match accuracy, base vs adapter.</summary>
public sealed record TaskDemoResult(string Task, int Steps, double BaseEvalLoss, double AdapterEvalLoss,
    int HeldOut, int BaseCorrect, int AdapterCorrect, TimeSpan TrainTime, IReadOnlyList<DemoSample> Samples)
{
    public double BaseAccuracy => (double)BaseCorrect / HeldOut;
    public double AdapterAccuracy => (double)AdapterCorrect / HeldOut;
}

/// <summary>Settings of the demo adapters: the numbers written into models/builtin-tiny/README.md come from these.</summary>
public sealed record AdapterDemoSettings
{
    public int TrainExamples { get; init; } = 400;
    public int HeldOutPrompts { get; init; } = 30;
    public int Steps { get; init; } = 150;
    public int BatchSize { get; init; } = 16;
    public int SeqLen { get; init; } = 48;
    public double LearningRate { get; init; } = 3e-3;
    public int Rank { get; init; } = 8;
    public int MaxNewTokens { get; init; } = 12;
    public long Seed { get; init; }
}

/// <summary>
/// Trains one LoRA adapter per example task on a base and measures it on prompts the adapter never saw:
/// held-out eval loss from the dataset split, and exact-match accuracy of greedy generations on fresh prompts
/// (generated from another seed, with any prompt that also occurs in the training file removed).
/// </summary>
public static class AdapterDemo
{
    public static async Task<IReadOnlyList<TaskDemoResult>> RunAsync(LlamaForCausalLM model, ITextTokenizer tokenizer,
        AdapterDemoSettings settings, TextWriter log, IEnumerable<ExampleTask>? tasks = null)
    {
        using var engine = new TrainingEngine("builtin-tiny", model, tokenizer);
        var results = new List<TaskDemoResult>();
        foreach (var task in tasks ?? ExampleTasks.All)
            results.Add(await RunTaskAsync(engine, task, settings, log));
        return results;
    }

    private static async Task<TaskDemoResult> RunTaskAsync(TrainingEngine engine, ExampleTask task, AdapterDemoSettings s, TextWriter log)
    {
        var s0 = s.Seed;
        var jsonl = task.Generate(s0, s.TrainExamples);
        var data = PreparedDataset.FromJsonl(JsonlDataset.Parse(jsonl, task.Name + ".jsonl"), engine.Tokenizer,
            engine.Model.Config.VocabSize, s.SeqLen, 0.1, s0);
        var job = new AdapterJob("demo-" + task.Name,
            new LoraSettings { Rank = s.Rank, Alpha = 2 * s.Rank, TargetModules = [LoraSettings.AllLinear], Seed = s0 },
            new TrainingSettings
            {
                LearningRate = s.LearningRate, Steps = s.Steps, BatchSize = s.BatchSize, SeqLen = s.SeqLen,
                WarmupSteps = Math.Min(20, s.Steps / 10), EvalFraction = 0.1, Seed = s0,
            },
            data.Train, data.Eval);
        var summary = await AdapterTrainer.TrainAsync(engine, job);
        using var weights = summary.Weights;

        var seen = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => ExampleTasks.ParseLine(l).Prompt).ToHashSet();
        var heldOut = task.Generate(s0 + 1_000_003, s.HeldOutPrompts * 4).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => ExampleTasks.ParseLine(l).Prompt).Where(p => !seen.Contains(p)).Distinct().Take(s.HeldOutPrompts).ToList();
        int baseOk = 0, adapterOk = 0;
        var samples = new List<DemoSample>();
        foreach (var prompt in heldOut)
        {
            var b = await engine.GenerateAsync(null, prompt, s.MaxNewTokens);
            var a = await engine.GenerateAsync(weights, prompt, s.MaxNewTokens);
            if (ExampleTasks.ExactMatch(task.Name, prompt, b)) baseOk++;
            if (ExampleTasks.ExactMatch(task.Name, prompt, a)) adapterOk++;
            if (samples.Count < 3) samples.Add(new DemoSample(prompt, b, a));
        }
        var result = new TaskDemoResult(task.Name, summary.Steps, summary.BaseEvalLoss, summary.FinalEvalLoss,
            heldOut.Count, baseOk, adapterOk, summary.Duration, samples);
        log.WriteLine(Format(result));
        foreach (var (p, b, a) in samples) log.WriteLine($"    {p}  base:{Quote(b)}  adapter:{Quote(a)}");
        return result;
    }

    public static string Format(TaskDemoResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Task,-8} eval loss {r.BaseEvalLoss:F3} -> {r.AdapterEvalLoss:F3}   exact match base {r.BaseCorrect}/{r.HeldOut} " +
        $"-> adapter {r.AdapterCorrect}/{r.HeldOut}   ({r.Steps} steps, {r.TrainTime.TotalSeconds:F0}s)");

    public static string Quote(string s) => "\"" + s.Replace("\n", "\\n") + "\"";
}
