using System.CommandLine;
using System.Globalization;
using Lora.Abstractions;
using Lora.Client;
using Spectre.Console;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora watch JOB…`: live progress bars, one per job, until every job is final.</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var jobs = new Argument<string[]>("jobs") { Description = "Job ids", Arity = ArgumentArity.OneOrMore };
        var command = new Command("watch", "Show live training progress until the jobs finish") { jobs };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, token) =>
        {
            var ids = parse.GetValue(jobs)!.Distinct().ToArray();
            // Resolve every id first: an unknown id is an error before any bar is drawn.
            var initial = await Task.WhenAll(ids.Select(client.GetStatusAsync));
            var finals = new JobStatus[ids.Length];
            await AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var bars = initial.Select(s => ctx.AddTask(Describe(s), maxValue: Math.Max(1, s.TotalSteps))).ToArray();
                    await Task.WhenAll(ids.Select((id, i) => FollowAsync(client, id, initial[i], bars[i], r => finals[i] = r, token)));
                });
            return JobOutcome.Problem(finals) is { } problem ? ClusterRunner.Fail(parse.InvocationConfiguration.Error, problem) : 0;
        }, ct));
        return command;
    }

    private static async Task FollowAsync(LoraClusterClient client, string jobId, JobStatus initial, ProgressTask bar, Action<JobStatus> done, CancellationToken ct)
    {
        var last = initial;
        Update(bar, last);
        if (!last.IsFinal)
            await foreach (var status in client.WatchAsync(jobId, ct))
            {
                last = status;
                Update(bar, status);
            }
        if (last.State == JobState.Completed) bar.Value = bar.MaxValue; // a bar of a finished job reads 100 %
        bar.StopTask();
        done(last);
    }

    private static void Update(ProgressTask bar, JobStatus status)
    {
        bar.MaxValue = Math.Max(1, status.TotalSteps);
        bar.Value = Math.Min(status.Step, bar.MaxValue);
        bar.Description = Describe(status);
    }

    internal static string Describe(JobStatus s)
    {
        var loss = s.TrainLoss is { } l ? $" loss {l.ToString("F4", CultureInfo.InvariantCulture)}" : "";
        var eval = s.EvalLoss is { } e ? $" eval {e.ToString("F4", CultureInfo.InvariantCulture)}" : "";
        return $"{Markup.Escape(s.JobId)} {StatusTables.StateMarkup(s.State)} {s.Step}/{s.TotalSteps}{loss}{eval}";
    }
}
