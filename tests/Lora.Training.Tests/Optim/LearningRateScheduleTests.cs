using Lora.Training.Engine;
using Lora.Training.Optim;

namespace Lora.Training.Tests.Optim;

public sealed class LearningRateScheduleTests
{
    public LearningRateScheduleTests() => global::Lora.Training.Runtime.TorchRuntime.EnsureLoaded();

    private static TrainingSettings S(string schedule, int steps = 100, int warmup = 0) =>
        new() { LearningRate = 1e-3, Steps = steps, WarmupSteps = warmup, Schedule = schedule };

    [Fact]
    public void Warmup_ramps_linearly_to_the_peak()
    {
        var s = S(TrainingSettings.Constant, warmup: 10);
        var values = Enumerable.Range(0, 10).Select(i => LearningRateSchedule.At(s, i)).ToArray();
        var diffs = values.Zip(values.Skip(1), (a, b) => b - a).ToArray();
        Assert.All(diffs, d => Assert.Equal(1e-4, d, 12));
        Assert.True(values[0] > 0 && values[0] < 2e-4);
        Assert.Equal(1e-3, LearningRateSchedule.At(s, 10), 12);
        Assert.True(values.All(v => v <= 1e-3 + 1e-15));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public void Cosine_starts_at_peak_after_warmup_decreases_monotonically_and_reaches_about_zero_at_the_last_step(int warmup)
    {
        var s = S(TrainingSettings.Cosine, steps: 100, warmup: warmup);
        Assert.Equal(1e-3, LearningRateSchedule.At(s, warmup), 12);
        var decay = Enumerable.Range(warmup, 100 - warmup).Select(i => LearningRateSchedule.At(s, i)).ToArray();
        Assert.True(decay.Zip(decay.Skip(1)).All(p => p.Second < p.First));
        Assert.True(LearningRateSchedule.At(s, 99) < 1e-3 * 1e-3, $"last step lr {LearningRateSchedule.At(s, 99)}");
        var mid = warmup + (100 - warmup) / 2;
        Assert.Equal(0.5e-3, LearningRateSchedule.At(s, mid), 6);
    }

    [Fact]
    public void Linear_decays_by_equal_steps_and_constant_stays()
    {
        var lin = S(TrainingSettings.Linear, steps: 20, warmup: 4);
        var decay = Enumerable.Range(4, 16).Select(i => LearningRateSchedule.At(lin, i)).ToArray();
        Assert.Equal(1e-3, decay[0], 12);
        Assert.All(decay.Zip(decay.Skip(1), (a, b) => a - b), d => Assert.Equal(1e-3 / 16, d, 12));
        var c = S(TrainingSettings.Constant, steps: 20);
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(1e-3, LearningRateSchedule.At(c, i)));
    }

    [Fact]
    public void Values_at_resumed_steps_equal_an_uninterrupted_sequence()
    {
        foreach (var schedule in new[] { TrainingSettings.Cosine, TrainingSettings.Linear, TrainingSettings.Constant })
        {
            var s = S(schedule, steps: 30, warmup: 5);
            var uninterrupted = Enumerable.Range(0, 30).Select(i => LearningRateSchedule.At(s, i)).ToArray();
            var resumedSettings = s with { };   // a restarted process rebuilds settings from the stored job
            var resumed = Enumerable.Range(0, 12).Select(i => LearningRateSchedule.At(s, i))
                .Concat(Enumerable.Range(12, 18).Select(i => LearningRateSchedule.At(resumedSettings, i))).ToArray();
            Assert.Equal(uninterrupted, resumed);
        }
    }
}
