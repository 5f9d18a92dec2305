using Lora.Training.Engine;
using Xunit.Abstractions;
using static Lora.Training.Tests.Engine.EngineFixtures;

namespace Lora.Training.Tests.Engine;

public sealed class AdapterTrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly EngineWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    [Fact]
    public async Task Tokens_per_second_counts_only_the_step_loop_not_the_evals_around_it()
    {
        using var engine = _w.Engine(new EngineOptions { BurstQuietPeriod = TimeSpan.Zero });
        // One step of one row against two evals of 1000 rows: if the evals were timed, they would be nearly all of it.
        var job = Job(0, batch: 1) with { Training = Job(0).Training with { Steps = 1, BatchSize = 1 }, Eval = EngineFixtures.Examples(1000, 16, seed: 5) };

        var summary = await AdapterTrainer.TrainAsync(engine, job);
        summary.Weights.Dispose();

        output.WriteLine($"total {summary.Duration.TotalMilliseconds:F0} ms, steps {summary.TrainingDuration.TotalMilliseconds:F0} ms");
        Assert.True(summary.TrainingDuration * 4 < summary.Duration,
            $"the step loop took {summary.TrainingDuration} of {summary.Duration}: were the evals timed as training?");
        Assert.Equal(summary.Tokens / summary.TrainingDuration.TotalSeconds, summary.TokensPerSecond, 6);
    }
}
