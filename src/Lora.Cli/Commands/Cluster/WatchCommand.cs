using System.CommandLine;
using System.Globalization;
using Lora.Abstractions;
using Lora.Cli.Output;
using Lora.Client;
using Spectre.Console;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora watch JOB…`: live progress bars, one per job, until every job is final. A job that can no longer be
/// followed (deleted meanwhile, cluster unreachable) has its bar marked lost at once and the others are still followed:
/// a watcher wants to see the rest finish. The exit code then says so (1, naming the lost job).</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var jobs = new Argument<string[]>("jobs") { Description = "Job ids", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print the final statuses as a JSON array (progress goes to stderr)" };
        var command = new Command("watch", "Show live training progress until the jobs finish") { jobs, json };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction((parse, ct) => ClusterRunner.RunAsync(parse, async (client, token) =>
        {
            var ids = parse.GetValue(jobs)!.Distinct().ToArray();
            // Resolve every id first: an unknown id is an error before any bar is drawn.
            var initial = await Task.WhenAll(ids.Select(client.GetStatusAsync));
            var config = parse.InvocationConfiguration;
            var asJson = parse.GetValue(json);
            var watched = await FollowAllAsync(ConsoleFactory.For(asJson ? config.Error : config.Output), initial, client.WatchAsync, token);
            if (asJson) ClusterJson.Print(config.Output, watched.Select(w => w.Last).ToList());
            var lost = watched.Where(w => w.Lost is not null).ToDictionary(w => w.Last.JobId, w => w.Lost!);
            return JobOutcome.Problem(watched.Select(w => w.Last).ToList(), lost: lost) is { } problem ? ClusterRunner.Fail(config.Error, problem) : 0;
        }, ct));
        return command;
    }

    /// <summary>Follows every job on <paramref name="console"/>, one bar each, until each is final or lost; in input order.</summary>
    public static async Task<IReadOnlyList<WatchedJob>> FollowAllAsync(IAnsiConsole console, IReadOnlyList<JobStatus> initial,
        Func<string, CancellationToken, IAsyncEnumerable<JobStatus>> watch, CancellationToken ct)
    {
        var watched = Array.Empty<WatchedJob>();
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var bars = initial.Select(s => ctx.AddTask(Describe(s), maxValue: Math.Max(1, s.TotalSteps))).ToArray();
                watched = await Task.WhenAll(initial.Select((s, i) => FollowAsync(watch, s, bars[i], ct)));
            });
        return watched;
    }

    private static async Task<WatchedJob> FollowAsync(Func<string, CancellationToken, IAsyncEnumerable<JobStatus>> watch, JobStatus initial,
        ProgressTask bar, CancellationToken ct)
    {
        var last = initial;
        Update(bar, last);
        try
        {
            if (!last.IsFinal)
                await foreach (var status in watch(initial.JobId, ct))
                {
                    last = status;
                    Update(bar, status);
                }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var reason = ClusterRunner.OneLine(ClusterRunner.MessageOf(e));
            bar.Description = $"{Markup.Escape(last.JobId)} [red]lost[/]: {Markup.Escape(reason)}";
            bar.StopTask();
            return new WatchedJob(last, reason);
        }
        if (last.State == JobState.Completed) bar.Value = bar.MaxValue; // a bar of a finished job reads 100 %
        bar.StopTask();
        return new WatchedJob(last, null);
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
