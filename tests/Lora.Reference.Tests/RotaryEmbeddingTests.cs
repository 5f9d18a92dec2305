using Lora.Reference;

namespace Lora.Reference.Tests;

public sealed class RotaryEmbeddingTests
{
    [Fact]
    public void Position_zero_is_the_identity()
    {
        var rope = new RotaryEmbedding(headDim: 8, theta: 10000);
        double[] x = [0.3, -1.2, 2.0, 0.5, -0.7, 1.1, 0.0, 4.0];
        Assert.Equal(x, rope.Apply(x, 0));
    }

    [Fact]
    public void Inverse_frequencies_are_theta_to_minus_2i_over_d()
    {
        var rope = new RotaryEmbedding(headDim: 4, theta: 100);
        Assert.Equal(1.0, rope.InverseFrequencies[0], 15);
        Assert.Equal(0.1, rope.InverseFrequencies[1], 15);
    }

    [Fact]
    public void Rotate_half_pairs_element_i_with_i_plus_half()
    {
        // d = 4, theta = 100: pairs (0,2) turn by p·1, pairs (1,3) by p·0.1.
        var rope = new RotaryEmbedding(headDim: 4, theta: 100);
        double[] x = [1.0, 2.0, 3.0, 4.0];
        const int p = 3;
        double a0 = p * 1.0, a1 = p * 0.1;
        double[] expected =
        [
            1.0 * Math.Cos(a0) - 3.0 * Math.Sin(a0),
            2.0 * Math.Cos(a1) - 4.0 * Math.Sin(a1),
            3.0 * Math.Cos(a0) + 1.0 * Math.Sin(a0),
            4.0 * Math.Cos(a1) + 2.0 * Math.Sin(a1),
        ];
        double[] actual = rope.Apply(x, p);
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 14);
    }

    [Fact]
    public void Attention_score_depends_only_on_relative_position()
    {
        var rope = new RotaryEmbedding(headDim: 6, theta: 500);
        double[] q = [0.2, -0.4, 1.0, 0.9, 0.1, -0.3], k = [1.5, 0.2, -0.6, 0.4, 0.8, 0.05];
        static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
        double near = Dot(rope.Apply(q, 7), rope.Apply(k, 4));
        double far = Dot(rope.Apply(q, 107), rope.Apply(k, 104));
        Assert.Equal(near, far, 10);
    }

    [Fact]
    public void Llama3_scaling_with_factor_one_is_unscaled_and_divides_only_long_wavelengths()
    {
        double[] plain = RotaryEmbedding.DefaultInverseFrequencies(64, 500000);
        var unit = Config(factor: 1);
        Assert.Equal(plain, RotaryEmbedding.Llama3Scaled(plain, unit), new ToleranceComparer(1e-15));

        double[] scaled = RotaryEmbedding.Llama3Scaled(plain, Config(factor: 8));
        Assert.Equal(plain[0], scaled[0]); // wavelength 2π < 8192/4: untouched
        Assert.Equal(8.0, plain[^1] / scaled[^1], 12); // wavelength ≫ 8192: divided by factor
    }

    private static ReferenceLlamaConfig Config(double factor) => new()
    {
        VocabSize = 1, HiddenSize = 64, IntermediateSize = 1, NumHiddenLayers = 0, NumAttentionHeads = 1,
        NumKeyValueHeads = 1, HeadDim = 64, RopeScalingType = "llama3", RopeScalingFactor = factor,
        RopeLowFreqFactor = 1, RopeHighFreqFactor = 4, RopeOriginalMaxPositions = 8192,
    };

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double obj) => 0;
    }
}
