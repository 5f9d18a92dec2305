using System.Diagnostics;
using Lora.Abstractions;
using Lora.Cli.Output;
using Lora.Client;
using Lora.Training.Examples;
using Spectre.Console;

namespace Lora.Cli.Commands.Demo;

/// <summary>
/// The demo end to end: an embedded silo, then everything else through the public SDK — start the jobs together,
/// follow them live, wait, download the PEFT adapters and score greedy generations served by the cluster.
/// </summary>
public sealed class DemoRunner(DemoSettings settings, IAnsiConsole console)
{
    /// <summary>How long the silo may take to publish its base model after it started.</summary>
    private static readonly TimeSpan ModelRegistrationTimeout = TimeSpan.FromSeconds(60);

    public async Task<DemoResult> RunAsync(CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var outDir = Path.GetFullPath(settings.Out);
        var clusterDir = Path.Combine(outDir, "cluster");
        if (File.Exists(outDir)) throw new CliException($"--out: '{outDir}' is a file, not a directory.");
        DemoClusterDirectory.Reset(clusterDir);
        var examples = DemoTasks.FindExamplesDir();
        var plans = DemoTasks.Plan(settings.Jobs, examples);

        Say($"starting an embedded silo with {DemoSettings.BaseModelId} …");
        await using var silo = await EmbeddedSilo.StartAsync(settings.SiloPort, settings.GatewayPort, clusterDir, ct);
        Say($"silo up (silo port {silo.SiloPort}, gateway {silo.Gateway}); tasks from {examples ?? "the built-in generators"}");
        await using var client = await LoraClusterClient.ConnectAsync(new LoraClientOptions
        {
            Gateway = silo.Gateway, ClusterId = DemoSettings.ClusterId, ServiceId = DemoSettings.ServiceId,
        }, ct);
        await WaitForModelAsync(client, ct);

        var training = Stopwatch.StartNew();
        var started = await client.StartManyAsync(plans.Select(p => (settings.SpecFor(p), p.Jsonl)), ct);
        if (!settings.Json) await ShowProgressAsync(client, started, plans, ct);
        var finals = await client.WaitAsync(plans.Select(p => p.JobId), ct: ct);
        var trainSeconds = training.Elapsed.TotalSeconds;

        Say("scoring held-out prompts through the cluster …");
        var adaptersDir = Path.Combine(outDir, "adapters");
        var results = await Task.WhenAll(plans.Select((p, i) => ScoreAsync(client, p, finals[i], adaptersDir, ct)));
        return new DemoResult(DemoSettings.BaseModelId, silo.Gateway, settings.Steps, outDir, trainSeconds, total.Elapsed.TotalSeconds, results);
    }

    /// <summary>The silo publishes its model from a background service; submitting before that would be refused as
    /// "model not hosted", so the demo waits for the registry like any client of a starting cluster would.</summary>
    private static async Task WaitForModelAsync(LoraClusterClient client, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var models = await client.ListModelsAsync();
            if (models.Any(m => m.Id == DemoSettings.BaseModelId)) return;
            if (deadline.Elapsed > ModelRegistrationTimeout)
                LoraClusterClient.EnsureHosted(DemoSettings.BaseModelId, models); // throws, naming what is hosted
            await Task.Delay(200, ct);
        }
    }

    private async Task ShowProgressAsync(LoraClusterClient client, IReadOnlyList<JobStatus> started, IReadOnlyList<DemoJobPlan> plans, CancellationToken ct)
    {
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var bars = started.Select((s, i) => ctx.AddTask(Describe(plans[i], s), maxValue: Math.Max(1, s.TotalSteps))).ToArray();
                await Task.WhenAll(started.Select((s, i) => FollowAsync(client, plans[i], s, bars[i], ct)));
            });
    }

    private static async Task FollowAsync(LoraClusterClient client, DemoJobPlan plan, JobStatus initial, ProgressTask bar, CancellationToken ct)
    {
        var last = initial;
        Update(bar, plan, last);
        if (!last.IsFinal)
            await foreach (var status in client.WatchAsync(plan.JobId, ct))
                Update(bar, plan, last = status);
        if (last.State == JobState.Completed) bar.Value = bar.MaxValue; // a finished job's bar reads 100 %
        bar.StopTask();
    }

    private static void Update(ProgressTask bar, DemoJobPlan plan, JobStatus status)
    {
        bar.MaxValue = Math.Max(1, status.TotalSteps);
        bar.Value = Math.Min(status.Step, bar.MaxValue);
        bar.Description = Describe(plan, status);
    }

    private static string Describe(DemoJobPlan plan, JobStatus s)
    {
        var loss = s.TrainLoss is { } l ? FormattableString.Invariant($" loss {l:F3}") : "";
        var state = s.State is JobState.Running or JobState.Completed ? "" : $" [yellow]{s.State}[/]";
        return Markup.Escape($"{plan.JobId,-10} {s.Step,4}/{s.TotalSteps}{loss}") + state;
    }

    /// <summary>Downloads the adapter and scores held-out prompts with greedy generations the cluster serves.</summary>
    private static async Task<DemoJobResult> ScoreAsync(LoraClusterClient client, DemoJobPlan plan, JobStatus final, string adaptersDir, CancellationToken ct)
    {
        var result = new DemoJobResult
        {
            Task = plan.Task.Name, JobId = plan.JobId, State = final.State, Error = final.Error, Step = final.Step,
            TotalSteps = final.TotalSteps, BaseEvalLoss = final.BaseEvalLoss, FinalEvalLoss = final.EvalLoss, DatasetSource = plan.DatasetSource,
        };
        if (final.State != JobState.Completed) return result;
        var downloaded = await client.DownloadAdapterAsync(plan.JobId, Path.Combine(adaptersDir, plan.JobId), ct);
        var correct = 0;
        string? sample = null;
        var sampleOk = false;
        // One prompt at a time: the job's grain serves generations in turn anyway, while the jobs run side by side.
        foreach (var prompt in plan.HeldOutPrompts)
        {
            ct.ThrowIfCancellationRequested();
            var generated = await client.GenerateAsync(plan.JobId, prompt, DemoSettings.MaxNewTokens);
            var ok = ExampleTasks.ExactMatch(plan.Task.Name, prompt, generated);
            if (ok) correct++;
            if (sample is null) { sample = generated; sampleOk = ok; }
        }
        return result with
        {
            HeldOut = plan.HeldOutPrompts.Count, Correct = correct, SamplePrompt = plan.HeldOutPrompts.FirstOrDefault(),
            SampleGeneration = sample, SampleCorrect = sampleOk, AdapterDir = Path.GetDirectoryName(downloaded.WeightsPath),
        };
    }

    private void Say(string line)
    {
        if (!settings.Json) console.MarkupLine("[grey]" + Markup.Escape(line) + "[/]");
    }
}
