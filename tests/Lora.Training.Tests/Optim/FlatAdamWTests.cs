using Lora.Training.Optim;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Optim;

public sealed class FlatAdamWTests
{
    public FlatAdamWTests() => TorchRuntime.EnsureLoaded();

    [Theory]
    [InlineData(1e-2, 0.9, 0.999, 1e-8, 0.0)]
    [InlineData(3e-2, 0.8, 0.99, 1e-6, 0.1)]
    public void Matches_torch_AdamW_for_ten_steps(double lr, double b1, double b2, double eps, double wd)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var init = randn([50], generator: g);
        var reference = nn.Parameter(init.clone());
        var flat = init.clone();
        var m = zeros(50);
        var v = zeros(50);
        var opt = optim.AdamW([reference], lr: lr, beta1: b1, beta2: b2, eps: eps, weight_decay: wd);
        for (int step = 1; step <= 10; step++)
        {
            var grad = randn([50], generator: g).mul(step % 3 == 0 ? 0.01 : 1.0);
            opt.zero_grad();
            reference.grad = grad.clone();
            opt.step();
            FlatAdamW.Step(flat, grad, m, v, step, lr, b1, b2, eps, wd);
            Assert.True(Tiny.MaxAbsDiff(flat, reference.detach()) < 1e-6, $"step {step}: diff {Tiny.MaxAbsDiff(flat, reference.detach())}");
        }
        Assert.True(Tiny.MaxAbsDiff(flat, init) > 10 * lr * 0.5, "parameters must have moved");
        opt.Dispose();
    }
}
