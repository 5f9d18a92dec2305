namespace Lora.Reference;

/// <summary>
/// HF LlamaRotaryEmbedding + apply_rotary_pos_emb, in the rotate-half layout:
/// inv_freq[i] = 1 / theta^(2i/d) for i &lt; d/2; emb = cat(freqs, freqs);
/// q_embed = q * cos + rotate_half(q) * sin with rotate_half(x) = cat(-x[d/2:], x[:d/2]).
/// (HF computes the angles in float32; the reference uses double, a ~1e-7 relative difference.)
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly double[] _invFreq;

    public RotaryEmbedding(int headDim, double theta)
        : this(DefaultInverseFrequencies(headDim, theta))
    {
    }

    public RotaryEmbedding(double[] inverseFrequencies)
    {
        _invFreq = (double[])inverseFrequencies.Clone();
    }

    public static RotaryEmbedding FromConfig(ReferenceLlamaConfig config)
    {
        double[] invFreq = DefaultInverseFrequencies(config.HeadDim, config.RopeTheta);
        if (config.RopeScalingType == "llama3")
            invFreq = Llama3Scaled(invFreq, config);
        else if (config.RopeScalingType == "linear")
            invFreq = Array.ConvertAll(invFreq, f => f / config.RopeScalingFactor);   // _compute_linear_scaling_rope_parameters
        return new RotaryEmbedding(invFreq);
    }

    public IReadOnlyList<double> InverseFrequencies => _invFreq;

    /// <summary>_compute_default_rope_parameters: 1 / base^(arange(0, dim, 2) / dim).</summary>
    public static double[] DefaultInverseFrequencies(int headDim, double theta)
    {
        if (headDim % 2 != 0) throw new ArgumentException("RoPE needs an even head dimension.", nameof(headDim));
        var invFreq = new double[headDim / 2];
        for (int i = 0; i < invFreq.Length; i++)
            invFreq[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        return invFreq;
    }

    /// <summary>
    /// _compute_llama3_parameters: wavelengths shorter than old_context/high_freq_factor are kept,
    /// longer than old_context/low_freq_factor are divided by factor, and the band between is
    /// interpolated with smooth = (old_context/wavelen - low) / (high - low).
    /// </summary>
    public static double[] Llama3Scaled(double[] invFreq, ReferenceLlamaConfig config)
    {
        double factor = config.RopeScalingFactor;
        double low = config.RopeLowFreqFactor, high = config.RopeHighFreqFactor;
        double oldContext = config.RopeOriginalMaxPositions;
        double lowFreqWavelen = oldContext / low;
        double highFreqWavelen = oldContext / high;
        var scaled = new double[invFreq.Length];
        for (int i = 0; i < invFreq.Length; i++)
        {
            double wavelen = 2 * Math.PI / invFreq[i];
            if (wavelen < highFreqWavelen) scaled[i] = invFreq[i];
            else if (wavelen > lowFreqWavelen) scaled[i] = invFreq[i] / factor;
            else
            {
                double smooth = (oldContext / wavelen - low) / (high - low);
                scaled[i] = (1 - smooth) * invFreq[i] / factor + smooth * invFreq[i];
            }
        }
        return scaled;
    }

    /// <summary>Rotates one head vector (length d) in place for the given absolute position.</summary>
    public void ApplyInPlace(Span<double> head, int position)
    {
        int half = _invFreq.Length;
        if (head.Length != 2 * half) throw new ArgumentException($"Head length {head.Length} != {2 * half}.");
        for (int i = 0; i < half; i++)
        {
            // emb = cat(freqs, freqs): element i and element i+half share the angle position*inv_freq[i].
            double angle = position * _invFreq[i];
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            double x1 = head[i], x2 = head[i + half];
            // rotate_half(x)[i] = -x2[i] and rotate_half(x)[i+half] = x1[i].
            head[i] = x1 * cos - x2 * sin;
            head[i + half] = x2 * cos + x1 * sin;
        }
    }

    public double[] Apply(ReadOnlySpan<double> head, int position)
    {
        double[] copy = head.ToArray();
        ApplyInPlace(copy, position);
        return copy;
    }
}
