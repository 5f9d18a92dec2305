using System.Runtime.CompilerServices;
using Lora.Abstractions;
using Lora.Cli.Commands.Cluster;
using Lora.Cli.Output;
using Lora.Client;

namespace Lora.Client.Tests;

/// <summary>`lora watch` with scripted progress streams instead of a cluster.</summary>
public sealed class WatchFollowTests
{
    [Fact]
    public async Task A_job_lost_midway_is_marked_at_once_and_the_others_are_followed_to_their_end()
    {
        var lost = new TaskCompletionSource();
        async IAsyncEnumerable<JobStatus> Watch(string id, [EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Yield();
            if (id == "b")
            {
                yield return S("b", JobState.Running, 2);
                lost.SetResult();
                throw new LoraClientException("no job 'b': the id is indexed but no job record is stored");
            }
            // "a" ends only after "b" was lost: a watch that let b's failure end everything would not see a complete.
            await lost.Task.WaitAsync(ct);
            yield return S("a", JobState.Completed, 10);
        }

        using var progress = new StringWriter();
        var watched = await WatchCommand.FollowAllAsync(ConsoleFactory.For(progress), [S("a", JobState.Running, 1), S("b", JobState.Running, 1)],
            Watch, CancellationToken.None);

        Assert.Equal((JobState.Completed, (string?)null), (watched[0].Last.State, watched[0].Lost));
        Assert.Equal((2, "no job 'b': the id is indexed but no job record is stored"), (watched[1].Last.Step, watched[1].Lost));
        var problem = JobOutcome.Problem(watched.Select(w => w.Last).ToList(), lost: new Dictionary<string, string> { ["b"] = watched[1].Lost! });
        Assert.Equal("lost track of b (no job 'b': the id is indexed but no job record is stored)", problem);
    }

    private static JobStatus S(string id, JobState state, int step) =>
        new() { JobId = id, BaseModel = "tiny", State = state, Step = step, TotalSteps = 10 };
}
