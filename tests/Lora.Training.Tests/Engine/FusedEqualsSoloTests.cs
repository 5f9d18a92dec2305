using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Engine;

public sealed class FusedEqualsSoloTests
{
    public FusedEqualsSoloTests() => TorchRuntime.EnsureLoaded();

    private static void TrainAndCompare(AdapterSpec[] specs, int steps)
    {
        using var model = Tiny.Model();
        var executor = new FusedStepExecutor(model, padId: 0);
        var fused = specs.Select(s => EngineFixtures.Parameters(model.Config, s.Lora)).ToArray();
        var solo = specs.Select(s => EngineFixtures.Parameters(model.Config, s.Lora)).ToArray();
        for (int step = 1; step <= steps; step++)
        {
            var fusedResults = executor.Run(specs.Select((s, i) => EngineFixtures.Participant(fused[i], s, step, seed: 100 * step + i)).ToArray());
            for (int i = 0; i < specs.Length; i++)
            {
                var soloResult = executor.Run([EngineFixtures.Participant(solo[i], specs[i], step, seed: 100 * step + i)])[0];
                Assert.True(fusedResults[i].Stepped && soloResult.Stepped);
                Assert.Null(fusedResults[i].Failure);
                EngineFixtures.AssertClose(soloResult.Loss, fusedResults[i].Loss, 1e-5, $"adapter {i} loss at step {step}");
                EngineFixtures.AssertClose(soloResult.GradNorm, fusedResults[i].GradNorm, 1e-4, $"adapter {i} grad norm at step {step}");
                Assert.Equal(soloResult.Tokens, fusedResults[i].Tokens);
                EngineFixtures.AssertClose(solo[i].Flat, fused[i].Flat, 1e-5, $"adapter {i} parameters after step {step}");
            }
        }
        foreach (var p in fused.Concat(solo)) p.Dispose();
    }

    [Fact]
    public void One_fused_step_gives_each_adapter_the_loss_and_update_of_running_it_alone() =>
        TrainAndCompare(EngineFixtures.Mixed, steps: 1);

    [Fact]
    public void Five_fused_steps_equal_training_the_adapters_one_by_one() =>
        TrainAndCompare(EngineFixtures.Mixed, steps: 5);

    [Fact]
    public void Fused_equals_solo_with_lora_dropout_when_sequence_lengths_differ()
    {
        // Same seeds, same examples: the dropout masks an adapter draws must not depend on who else is in the pass
        // (FusedLoraDelta promises "the same order as a solo run draws them").
        var specs = EngineFixtures.Mixed.Select(s => s with { Lora = s.Lora with { Dropout = 0.1 } }).ToArray();
        TrainAndCompare(specs, steps: 1);
    }

    [Fact]
    public void Fused_training_leaves_every_base_parameter_bit_identical()
    {
        using var model = Tiny.Model();
        var before = Tiny.Snapshot(model);
        var executor = new FusedStepExecutor(model, padId: 0);
        var ps = EngineFixtures.Mixed.Select(s => EngineFixtures.Parameters(model.Config, s.Lora)).ToArray();
        using var flat0 = ps[1].Flat.detach().clone();
        for (int step = 1; step <= 3; step++)
            executor.Run(EngineFixtures.Mixed.Select((s, i) => EngineFixtures.Participant(ps[i], s, step, seed: step * 10 + i)).ToArray());
        Assert.False(Tiny.BitEqual(flat0, ps[1].Flat.detach()), "adapters must have trained");
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(Tiny.BitEqual(before[name], p.detach()), $"{name} changed");
            Assert.Null(p.grad);
        }
        foreach (var p in ps) p.Dispose();
    }
}
