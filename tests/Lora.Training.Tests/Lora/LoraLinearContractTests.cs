using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Lora;

public sealed class LoraLinearContractTests
{
    public LoraLinearContractTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Trainable_count_is_rank_times_in_plus_out_not_the_weight_count()
    {
        using var frozen = LoraFixtures.Frozen(512, 512);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4 });
        Assert.Equal(4_096, layer.TrainableParameters);
        Assert.Equal(262_144, frozen.Weight.numel());
        Assert.Equal(4_096, layer.parameters().Where(p => p.requires_grad).Sum(p => p.numel()));
        Assert.Equal(new long[] { 4, 512 }, layer.A.shape);
        Assert.Equal(new long[] { 512, 4 }, layer.B.shape);
    }

    [Fact]
    public void Settings_trainable_parameters_equals_the_sum_over_wrapped_model_layers()
    {
        using var model = Tiny.Model();
        var config = model.Config;
        foreach (var settings in new[]
        {
            new LoraSettings { Rank = 4, TargetModules = ["q_proj", "v_proj"] },
            new LoraSettings { Rank = 2, TargetModules = [LoraSettings.AllLinear] },
            new LoraSettings { Rank = 8, TargetModules = ["k_proj", "down_proj"] },
        })
        {
            long sum = 0;
            for (int l = 0; l < config.NumHiddenLayers; l++)
                foreach (var t in settings.ResolvedTargets)
                {
                    // not disposed: disposing a LoraLinear disposes its (shared) base layer
                    var wrapped = LoraFixtures.Wrap(model.Linear(global::Lora.Training.Model.LlamaConfig.ModulePath(l, t)), settings);
                    sum += wrapped.TrainableParameters;
                }
            Assert.Equal(sum, settings.TrainableParameters(config));
        }
        // all-linear at r=2: per layer 2·(64+64)·2 (q,o) + 2·(64+32)·2 (k,v) + 2·(64+128)·3 (mlp) = 512+384+1152
        Assert.Equal(2 * (512 + 384 + 1152), new LoraSettings { Rank = 2, TargetModules = [LoraSettings.AllLinear] }.TrainableParameters(config));
    }

    [Fact]
    public void Output_at_init_is_bit_identical_to_the_base()
    {
        using var frozen = LoraFixtures.Frozen(32, 48, bias: true);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4, Alpha = 8 });
        using var scope = NewDisposeScope();
        Assert.True(layer.B.abs().max().item<float>() == 0f, "B must start at zero");
        Assert.True(layer.A.abs().max().item<float>() > 0f, "A must start random");
        var x = LoraFixtures.Input(5, 32);
        Assert.True(Tiny.BitEqual(layer.Forward(x), frozen.Forward(x)));
    }

    [Fact]
    public void Fifty_adam_steps_change_only_A_and_B_and_leave_the_base_bit_identical()
    {
        using var frozen = LoraFixtures.Frozen(16, 24, bias: true);
        using var layer = LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 4, Alpha = 8 });
        var before = Tiny.Snapshot(frozen);
        var trainable = layer.parameters().Where(p => p.requires_grad).ToArray();
        Assert.Equal(2, trainable.Length);
        Assert.All(frozen.parameters(), p => Assert.False(p.requires_grad));
        using var aBefore = layer.A.detach().clone();
        using var opt = optim.Adam(trainable, lr: 1e-2);
        var x = LoraFixtures.Input(8, 16);
        var target = LoraFixtures.Input(8, 24, seed: 9);
        float first = 0, last = 0;
        for (int i = 0; i < 50; i++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(layer.Forward(x), target);
            loss.backward();
            opt.step();
            if (i == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first, $"training must reduce the loss ({first} → {last})");
        Assert.True(layer.B.abs().max().item<float>() > 0f);
        Assert.False(Tiny.BitEqual(aBefore, layer.A.detach()));
        foreach (var (name, p) in frozen.named_parameters())
        {
            Assert.True(Tiny.BitEqual(before[name], p.detach()), $"{name} changed");
            Assert.Null(p.grad);
        }
    }
}
