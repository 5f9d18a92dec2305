using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Engine;

public sealed class FusedExecutorBehaviourTests
{
    public FusedExecutorBehaviourTests() => TorchRuntime.EnsureLoaded();

    private static readonly LoraSettings Qv = new() { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj"], Seed = 5 };

    [Fact]
    public void Loss_equals_manual_cross_entropy_through_SingleAdapterDelta_of_ToWeights()
    {
        using var model = Tiny.Model();
        var executor = new FusedStepExecutor(model, padId: 0);
        var spec = new AdapterSpec(Qv, 3, 8, 1e-3);
        using var p = EngineFixtures.Parameters(model.Config, Qv);
        var participant = EngineFixtures.Participant(p, spec, 1, seed: 3);
        double expected;
        using (var weights = p.ToWeights())
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var (ids, labels, _) = FusedBatch.Pad(participant.MicroBatch, 0, CPU);
            var logits = model.Forward(ids, new SingleAdapterDelta(weights));
            expected = nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index: TrainingExample.IgnoreIndex).item<float>();
        }
        var result = executor.Run([participant])[0];
        EngineFixtures.AssertClose(expected, result.Loss, 1e-5, "loss");
        Assert.True(result.Stepped);
    }

    [Fact]
    public void Adapter_with_a_huge_learning_rate_fails_alone_while_its_pass_mates_step_normally()
    {
        using var model = Tiny.Model();
        var executor = new FusedStepExecutor(model, padId: 0);
        var healthy = new AdapterSpec(Qv with { Seed = 6 }, 2, 6, 1e-3);
        var doomed = new AdapterSpec(Qv with { Seed = 7 }, 2, 8, 1e30);   // same layout and batch: same group
        var other = EngineFixtures.Mixed[1];
        using var h = EngineFixtures.Parameters(model.Config, healthy.Lora);
        using var hSolo = EngineFixtures.Parameters(model.Config, healthy.Lora);
        using var d = EngineFixtures.Parameters(model.Config, doomed.Lora);
        using var o = EngineFixtures.Parameters(model.Config, other.Lora);
        IReadOnlyList<ParticipantResult> results = [];
        for (int step = 1; step <= 3; step++)
        {
            results = executor.Run([
                EngineFixtures.Participant(h, healthy, step, seed: step), EngineFixtures.Participant(d, doomed, step, seed: 50 + step),
                EngineFixtures.Participant(o, other, step, seed: 90 + step)]);
            var solo = executor.Run([EngineFixtures.Participant(hSolo, healthy, step, seed: step)])[0];
            Assert.True(results[0].Stepped && results[2].Stepped, $"healthy adapters must step at {step}");
            EngineFixtures.AssertClose(solo.Loss, results[0].Loss, 1e-5, $"healthy loss at step {step}");
            EngineFixtures.AssertClose(hSolo.Flat, h.Flat, 1e-5, $"healthy params at step {step}");
            Assert.True(o.Flat.isfinite().all().item<bool>());
        }
        Assert.False(results[1].Stepped);
        Assert.NotNull(results[1].Failure);
        Assert.Contains("step 3", results[1].Failure);
        Assert.Null(results[0].Failure);
    }

    [Fact]
    public void Two_accumulated_micro_batches_of_one_equal_one_micro_batch_of_two()
    {
        using var model = Tiny.Model();
        var executor = new FusedStepExecutor(model, padId: 0);
        var examples = EngineFixtures.Examples(2, 9, seed: 21);   // equal loss-token counts by construction
        Assert.Equal(examples[0].LossTokens, examples[1].LossTokens);
        using var accumulated = EngineFixtures.Parameters(model.Config, Qv);
        using var whole = EngineFixtures.Parameters(model.Config, Qv);
        var accSettings = new TrainingSettings { LearningRate = 1e-2, GradientAccumulation = 2 };
        var wholeSettings = new TrainingSettings { LearningRate = 1e-2, GradientAccumulation = 1 };
        var first = executor.Run([new StepParticipant(accumulated, [examples[0]], accSettings, 1, 1e-2, false)])[0];
        Assert.False(first.Stepped);
        Assert.Null(first.Failure);
        var second = executor.Run([new StepParticipant(accumulated, [examples[1]], accSettings, 1, 1e-2, true)])[0];
        var one = executor.Run([new StepParticipant(whole, examples, wholeSettings, 1, 1e-2, true)])[0];
        Assert.True(second.Stepped && one.Stepped);
        EngineFixtures.AssertClose(one.GradNorm, second.GradNorm, 1e-4, "grad norm");
        EngineFixtures.AssertClose(whole.Flat, accumulated.Flat, 1e-5, "parameters");
        EngineFixtures.AssertClose(one.Loss, (first.Loss + second.Loss) / 2, 1e-5, "mean loss");
    }
}
