using Lora.Training.Examples;

namespace Lora.Cli.Commands.Demo;

/// <summary>One job of the demo: which example task, its dataset and the seed that makes a repeated task a different run.</summary>
public sealed record DemoJobPlan(string JobId, ExampleTask Task, long Seed, string Jsonl, string DatasetSource, IReadOnlyList<string> HeldOutPrompts);

/// <summary>Plans the demo's jobs over the bundled example tasks (examples/*.jsonl).</summary>
public static class DemoTasks
{
    private const string SolutionFile = "LoraCluster.sln";
    private const string ExamplesFolder = "examples";
    /// <summary>Size of a dataset generated in memory when examples/ is not found; the bundled files have 400 lines too.</summary>
    private const int GeneratedExamples = 400;
    /// <summary>Held-out prompts come from a seed stream no training set uses (the bundled files and repeats use small seeds).</summary>
    private const long HeldOutSeedOffset = 1_000_003;

    /// <summary>N jobs cycling over the tasks; the k-th repeat of a task gets seed k so its adapter init, batch order
    /// and eval split differ.</summary>
    public static IReadOnlyList<DemoJobPlan> Plan(int jobs, string? examplesDir)
    {
        var tasks = ExampleTasks.All;
        var plans = new List<DemoJobPlan>(jobs);
        for (var i = 0; i < jobs; i++)
        {
            var task = tasks[i % tasks.Count];
            var repeat = i / tasks.Count;
            var (jsonl, source) = Dataset(task, examplesDir);
            plans.Add(new DemoJobPlan($"{task.Name}-{repeat + 1}", task, repeat, jsonl, source, HeldOut(task, repeat, jsonl)));
        }
        return plans;
    }

    /// <summary>examples/ under the first ancestor of the executable's, then the working, directory that holds
    /// LoraCluster.sln — the same walk BuiltinModel.DefaultPath does — or null when running outside the repository.</summary>
    public static string? FindExamplesDir()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, SolutionFile))) continue;
                var candidate = Path.Combine(dir.FullName, ExamplesFolder);
                if (Directory.Exists(candidate)) return candidate;
                break;
            }
        return null;
    }

    private static (string Jsonl, string Source) Dataset(ExampleTask task, string? examplesDir)
    {
        var file = examplesDir is null ? null : Path.Combine(examplesDir, task.Name + ".jsonl");
        if (file is not null && File.Exists(file)) return (File.ReadAllText(file), file);
        // Outside the repository the generator rebuilds an equivalent set, so the demo never depends on the checkout.
        return (task.Generate(0, GeneratedExamples), $"generated ({GeneratedExamples} examples, seed 0)");
    }

    /// <summary>Fresh prompts of the task's form, none of which occurs in the training data.</summary>
    private static IReadOnlyList<string> HeldOut(ExampleTask task, long seed, string trainingJsonl)
    {
        var seen = trainingJsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => ExampleTasks.ParseLine(l).Prompt).ToHashSet(StringComparer.Ordinal);
        return task.Generate(HeldOutSeedOffset + seed, DemoSettings.HeldOutPrompts * 4)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => ExampleTasks.ParseLine(l).Prompt)
            .Where(p => !seen.Contains(p)).Distinct().Take(DemoSettings.HeldOutPrompts).ToList();
    }
}
