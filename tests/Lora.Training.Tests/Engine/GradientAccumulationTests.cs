using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Lora;

namespace Lora.Training.Tests.Engine;

/// <summary>An optimizer step accumulated over micro-batches is the step of one batch holding all of them, also
/// when the micro-batches carry different numbers of loss tokens (prompt/completion data): every token weighs the same.</summary>
public sealed class GradientAccumulationTests : IDisposable
{
    private readonly EngineWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    /// <summary>Examples whose loss-token counts differ widely: a short completion next to long ones.</summary>
    private static TrainingExample[] UnevenExamples()
    {
        var examples = EngineFixtures.Examples(6, 14, seed: 31).ToList();
        var shortOne = EngineFixtures.Examples(1, 14, seed: 32)[0];
        var labels = shortOne.Labels.Select((l, t) => t == 5 ? l : TrainingExample.IgnoreIndex).ToArray();   // one loss token
        examples.Insert(1, new TrainingExample(shortOne.InputIds, labels));
        return [.. examples];
    }

    private static AdapterJob Job(string id, int batch, int accumulation, IReadOnlyList<TrainingExample> data) => new(id,
        new LoraSettings { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = 9 },
        new TrainingSettings { LearningRate = 1e-2, BatchSize = batch, SeqLen = 14, Steps = 100, EvalFraction = 0, Seed = 4,
            GradientAccumulation = accumulation, MaxGradNorm = 0 },
        data, []);

    [Fact]
    public async Task Two_accumulated_micro_batches_step_like_one_batch_of_both_with_uneven_loss_tokens()
    {
        var data = UnevenExamples();
        Assert.True(data.Select(e => e.LossTokens).Distinct().Count() > 1);
        using var engine = _w.Engine(new EngineOptions { BurstQuietPeriod = TimeSpan.Zero });
        var accumulated = await engine.OpenAsync(Job("acc", batch: 1, accumulation: 2, data));
        var whole = await engine.OpenAsync(Job("whole", batch: 2, accumulation: 1, data));
        for (var step = 0; step < 3; step++)   // the same cursor order: each step sees the same two examples
        {
            var (a, w) = (await engine.StepAsync(accumulated), await engine.StepAsync(whole));
            EngineFixtures.AssertClose(w.Loss, a.Loss, 1e-5, $"step {step + 1} loss");
            EngineFixtures.AssertClose(w.GradNorm, a.GradNorm, 1e-4, $"step {step + 1} grad norm");
        }
        var (ca, cw) = (await engine.CheckpointAsync(accumulated), await engine.CheckpointAsync(whole));
        Assert.Equal(cw.Cursor, ca.Cursor);
        var diff = ca.Flat.Zip(cw.Flat).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(diff < 1e-5, $"parameters differ by {diff} after 3 steps");
        await engine.ReleaseAsync(accumulated);
        await engine.ReleaseAsync(whole);
    }
}
