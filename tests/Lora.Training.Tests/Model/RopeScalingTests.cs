using Lora.Training.Model;
using Lora.Training.Runtime;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Model;

/// <summary>rope_scaling's frequency bands (Llama 3.1's published settings) and position interpolation.</summary>
public sealed class RopeScalingTests
{
    private static readonly RopeScaling Llama31 = new()
    {
        Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192,
    };

    public RopeScalingTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Llama3_keeps_short_wavelengths_divides_long_ones_and_blends_monotonically_between()
    {
        using var plainRotary = new RotaryEmbedding(128, 500000, 64);
        using var scaledRotary = new RotaryEmbedding(128, 500000, 64, Llama31);
        var plain = plainRotary.InverseFrequencies();
        var scaled = scaledRotary.InverseFrequencies();
        int kept = 0, divided = 0, blended = 0;
        for (var i = 0; i < plain.Length; i++)
        {
            var wavelength = 2 * Math.PI / plain[i];
            if (wavelength < 8192 / 4.0) { Assert.Equal(plain[i], scaled[i]); kept++; }
            else if (wavelength > 8192 / 1.0) { Assert.Equal(plain[i] / 8, scaled[i], 15); divided++; }
            else { Assert.InRange(scaled[i], plain[i] / 8, plain[i]); blended++; }
            if (i > 0) Assert.True(scaled[i] < scaled[i - 1], $"frequency {i} does not decrease");
        }
        // All three bands are present in Llama 3.1's 64 rotary pairs, so each branch above was exercised.
        Assert.True(kept > 0 && divided > 0 && blended > 0, $"kept {kept}, divided {divided}, blended {blended}");
    }

    [Fact]
    public void Linear_scaling_at_position_2p_equals_plain_rope_at_position_p()
    {
        using var scope = NewDisposeScope();
        using var plain = new RotaryEmbedding(16, 10000, 64);
        using var interpolated = new RotaryEmbedding(16, 10000, 64, new RopeScaling { Type = "linear", Factor = 2 });
        manual_seed(5);
        var x = randn(1, 2, 1, 16).expand(1, 2, 20, 16).contiguous();   // the same vector at every position
        var p = plain.Apply(x);
        var q = interpolated.Apply(x);
        for (var t = 0; t < 10; t++)
            Assert.True(Tiny.MaxAbsDiff(q.narrow(2, 2 * t, 1), p.narrow(2, t, 1)) < 1e-5, $"position {t}");
    }

    [Fact]
    public void A_scaled_config_round_trips_through_config_json_and_reaches_the_model()
    {
        var config = Tiny.Config(c => c with { RopeScaling = Llama31 with { OriginalMaxPositionEmbeddings = 16 } });
        var json = config.ToJson();
        Assert.Contains("\"rope_type\": \"llama3\"", json);
        Assert.Equal(config, LlamaConfig.FromJson(json));

        using var scope = NewDisposeScope();
        using var scaled = Tiny.Model(config, seed: 9);
        using var plain = Tiny.Model(config with { RopeScaling = null }, seed: 9);
        var ids = arange(24, dtype: ScalarType.Int64).remainder(config.VocabSize).view(1, 24);
        Assert.True(Tiny.MaxAbsDiff(scaled.Forward(ids), plain.Forward(ids)) > 1e-4, "rope_scaling changed nothing");
    }

    [Fact]
    public void A_transformers_v5_config_carries_theta_and_scaling_in_rope_parameters()
    {
        var config = LlamaConfig.FromJson("""
            {"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
             "rope_parameters":{"rope_type":"llama3","rope_theta":500000.0,"factor":8.0,"low_freq_factor":1.0,
                                "high_freq_factor":4.0,"original_max_position_embeddings":8192}}
            """);
        Assert.Equal(500000, config.RopeTheta);
        Assert.Equal(Llama31, config.RopeScaling);
        var plain = LlamaConfig.FromJson("""
            {"vocab_size":512,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,
             "rope_parameters":{"rope_type":"default","rope_theta":1000000.0}}
            """);
        Assert.Equal(1000000, plain.RopeTheta);
        Assert.Null(plain.RopeScaling);
    }

    [Fact]
    public void The_rotary_table_grows_with_the_sequence_and_gives_what_a_fresh_table_gives()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var x = randn(1, 2, 1500, 16);
        using var grown = new RotaryEmbedding(16, 10000, 4096);
        grown.Apply(x.narrow(2, 0, 8));                 // builds the smallest table first
        var afterGrowth = grown.Apply(x);               // needs 1500 positions: grows
        using var fresh = new RotaryEmbedding(16, 10000, 4096);
        Assert.True(Tiny.BitEqual(fresh.Apply(x), afterGrowth));
        using var short_ = new RotaryEmbedding(16, 10000, 1000);
        Assert.ThrowsAny<Exception>(() => short_.Apply(x));   // never past the model's context
    }
}
