using Lora.Training.Optim;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Optim;

public sealed class RowAdamWTests
{
    public RowAdamWTests() => TorchRuntime.EnsureLoaded();

    /// <summary>
    /// Two adapters stacked as rows, with different hyper-parameters and different step counts (row 1 joins three
    /// updates late, as an adapter that started later would): each row must follow its own torch AdamW exactly.
    /// </summary>
    [Fact]
    public void Each_row_follows_its_own_torch_AdamW_with_its_own_hyper_parameters_and_step()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var hyper = new[] { (Lr: 1e-2, B1: 0.9, B2: 0.999, Eps: 1e-8, Wd: 0.0), (Lr: 3e-2, B1: 0.8, B2: 0.99, Eps: 1e-6, Wd: 0.1) };
        var param = randn([2, 40], generator: g);
        var (m, v) = (zeros(2, 40), zeros(2, 40));
        var references = Enumerable.Range(0, 2).Select(i => nn.Parameter(param[i].clone())).ToArray();
        var optimizers = references.Select((p, i) => optim.AdamW([p], lr: hyper[i].Lr, beta1: hyper[i].B1, beta2: hyper[i].B2,
            eps: hyper[i].Eps, weight_decay: hyper[i].Wd)).ToArray();
        const int late = 3;
        for (int call = 1; call <= 10; call++)
        {
            var grad = randn([2, 40], generator: g).mul(call % 3 == 0 ? 0.01 : 1.0);
            var count = call > late ? 2 : 1;
            var rows = Enumerable.Range(0, count).Select(i =>
                new AdamWRow(i == 0 ? call : call - late, hyper[i].Lr, hyper[i].B1, hyper[i].B2, hyper[i].Eps, hyper[i].Wd)).ToArray();
            RowAdamW.Step(param.narrow(0, 0, count), grad.narrow(0, 0, count), m.narrow(0, 0, count), v.narrow(0, 0, count), rows);
            for (int i = 0; i < count; i++)
            {
                optimizers[i].zero_grad();
                references[i].grad = grad[i].clone();
                optimizers[i].step();
                Assert.True(Tiny.MaxAbsDiff(param[i], references[i].detach()) < 1e-6,
                    $"call {call}, row {i}: differs from torch AdamW by {Tiny.MaxAbsDiff(param[i], references[i].detach())}");
            }
        }
        foreach (var o in optimizers) o.Dispose();
    }
}
