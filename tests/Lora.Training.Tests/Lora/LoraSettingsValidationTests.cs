using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;

namespace Lora.Training.Tests.Lora;

public sealed class LoraSettingsValidationTests
{
    public LoraSettingsValidationTests() => TorchRuntime.EnsureLoaded();

    public static TheoryData<LoraSettings, string, string> BadSettings => new()
    {
        { new LoraSettings { Rank = 0 }, "rank", "0" },
        { new LoraSettings { Rank = -3 }, "rank", "-3" },
        { new LoraSettings { Alpha = -2 }, "alpha", "-2" },
        { new LoraSettings { Alpha = double.NaN }, "alpha", "NaN" },
        { new LoraSettings { Dropout = 1 }, "dropout", "1" },
        { new LoraSettings { Dropout = -0.1 }, "dropout", "-0.1" },
        { new LoraSettings { TargetModules = ["q_proj", "w_proj"] }, "targets", "w_proj" },
        { new LoraSettings { TargetModules = ["lm_head"] }, "targets", "lm_head" },
        { new LoraSettings { TargetModules = ["q_proj", "q_proj"] }, "targets", "q_proj" },
        { new LoraSettings { TargetModules = ["all-linear", "q_proj"] }, "targets", "all-linear" },
        { new LoraSettings { TargetModules = [] }, "targets", "" },
        { new LoraSettings { Init = "xavier" }, "init", "xavier" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Validate_names_the_field_and_the_value(LoraSettings settings, string field, string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => settings.Validate());
        Assert.Contains($"'{field}'", ex.Message);
        Assert.Contains(value, ex.Message);
    }

    [Fact]
    public void Valid_settings_pass_and_all_linear_resolves_to_every_block_linear()
    {
        var s = new LoraSettings { Rank = 4, TargetModules = [LoraSettings.AllLinear] }.Validate();
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], s.ResolvedTargets);
        Assert.Equal(["q_proj", "v_proj"], new LoraSettings { TargetModules = ["v_proj", "q_proj"] }.ResolvedTargets);
    }

    [Fact]
    public void ValidateFor_rejects_rank_above_min_in_out_of_a_target()
    {
        var config = Tiny.Config();   // k_proj is 64 → 32
        Assert.NotNull(new LoraSettings { Rank = 32, TargetModules = ["k_proj"] }.ValidateFor(config));
        var ex = Assert.Throws<ArgumentException>(() => new LoraSettings { Rank = 33, TargetModules = ["k_proj"] }.ValidateFor(config));
        Assert.Contains("'rank'", ex.Message);
        Assert.Contains("33", ex.Message);
        Assert.Contains("k_proj", ex.Message);
        Assert.NotNull(new LoraSettings { Rank = 64, TargetModules = ["q_proj"] }.ValidateFor(config));
        Assert.Throws<ArgumentException>(() => new LoraSettings { Rank = 65, TargetModules = [LoraSettings.AllLinear] }.ValidateFor(config));
    }

    [Fact]
    public void LoraLinear_rejects_rank_above_min_in_out()
    {
        using var frozen = LoraFixtures.Frozen(16, 8);
        var ex = Assert.Throws<ArgumentException>(() => LoraFixtures.Wrap(frozen, new LoraSettings { Rank = 9 }));
        Assert.Contains("'rank'", ex.Message);
    }
}
