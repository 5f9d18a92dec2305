using Lora.Training.Optim;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Optim;

public sealed class RowAdamWTests
{
    public RowAdamWTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Each_row_follows_FlatAdamW_with_its_own_hyper_parameters_and_step()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var rows = new[]
        {
            new AdamWRow(1, 1e-2, 0.9, 0.999, 1e-8, 0.0),
            new AdamWRow(7, 3e-2, 0.8, 0.99, 1e-6, 0.1),
            new AdamWRow(3, 5e-3, 0.95, 0.98, 1e-7, 0.01),
        };
        var param = randn([3, 40], generator: g);
        var m = randn([3, 40], generator: g).abs().mul(0.1);
        var v = randn([3, 40], generator: g).abs().mul(0.01);
        var (p0, m0, v0) = (param.clone(), m.clone(), v.clone());
        for (int step = 0; step < 5; step++)
        {
            var grad = randn([3, 40], generator: g);
            var stepped = rows.Select(r => r with { Step = r.Step + step }).ToArray();
            RowAdamW.Step(param, grad, m, v, stepped);
            for (int i = 0; i < rows.Length; i++)
            {
                var r = stepped[i];
                FlatAdamW.Step(p0[i], grad[i], m0[i], v0[i], r.Step, r.LearningRate, r.Beta1, r.Beta2, r.Epsilon, r.WeightDecay);
            }
            Assert.True(Tiny.MaxAbsDiff(param, p0) < 1e-6, $"step {step}: parameters differ by {Tiny.MaxAbsDiff(param, p0)}");
            Assert.True(Tiny.MaxAbsDiff(m, m0) < 1e-6 && Tiny.MaxAbsDiff(v, v0) < 1e-6, $"step {step}: moments differ");
        }
    }
}
