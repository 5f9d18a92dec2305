namespace Lora.Reference;

/// <summary>
/// HF LlamaAttention (eager path, no KV cache): q/k/v projections viewed as [T, heads, head_dim],
/// RoPE on q and k, repeat_kv for grouped-query attention, causal softmax(q·kᵀ · head_dim^-0.5) · v,
/// heads concatenated and fed to o_proj.
/// </summary>
public sealed class ReferenceAttention
{
    private readonly ReferenceLlamaConfig _config;
    private readonly RotaryEmbedding _rotary;

    public ReferenceAttention(
        ReferenceLlamaConfig config, RotaryEmbedding rotary,
        ReferenceLinear q, ReferenceLinear k, ReferenceLinear v, ReferenceLinear o)
    {
        _config = config;
        _rotary = rotary;
        int d = config.HeadDim;
        Check(q, config.HiddenSize, config.NumAttentionHeads * d);
        Check(k, config.HiddenSize, config.NumKeyValueHeads * d);
        Check(v, config.HiddenSize, config.NumKeyValueHeads * d);
        Check(o, config.NumAttentionHeads * d, config.HiddenSize);
        QProj = q;
        KProj = k;
        VProj = v;
        OProj = o;
    }

    public ReferenceLinear QProj { get; }
    public ReferenceLinear KProj { get; }
    public ReferenceLinear VProj { get; }
    public ReferenceLinear OProj { get; }

    /// <summary>x: normed hidden states [T][hidden]; positions are 0..T-1 (HF's default position_ids).</summary>
    public double[][] Forward(double[][] x)
    {
        int seq = x.Length, d = _config.HeadDim;
        int heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads;
        double[][] q = QProj.Forward(x), k = KProj.Forward(x), v = VProj.Forward(x);

        // apply_rotary_pos_emb acts per head on the [.., head_dim] slice of q and k.
        for (int t = 0; t < seq; t++)
        {
            for (int h = 0; h < heads; h++) _rotary.ApplyInPlace(q[t].AsSpan(h * d, d), t);
            for (int h = 0; h < kvHeads; h++) _rotary.ApplyInPlace(k[t].AsSpan(h * d, d), t);
        }

        double scale = 1.0 / Math.Sqrt(d); // self.scaling = head_dim ** -0.5
        int groups = _config.KeyValueGroups;
        var context = new double[seq][];
        for (int t = 0; t < seq; t++) context[t] = new double[heads * d];

        Parallel.For(0, heads, h =>
        {
            // repeat_kv expands (kv, n_rep) → kv * n_rep, so query head h reads kv head h / n_rep.
            int kvh = h / groups;
            var scores = new double[seq];
            for (int t = 0; t < seq; t++)
            {
                var qh = new ReadOnlySpan<double>(q[t], h * d, d);
                // Causal mask: key positions s > t get -inf, i.e. are simply excluded.
                double max = double.NegativeInfinity;
                for (int s = 0; s <= t; s++)
                {
                    double dot = 0;
                    var kh = new ReadOnlySpan<double>(k[s], kvh * d, d);
                    for (int i = 0; i < d; i++) dot += qh[i] * kh[i];
                    scores[s] = dot * scale;
                    max = Math.Max(max, scores[s]);
                }
                double total = 0;
                for (int s = 0; s <= t; s++) total += scores[s] = Math.Exp(scores[s] - max);
                Span<double> outHead = context[t].AsSpan(h * d, d);
                for (int s = 0; s <= t; s++)
                {
                    double p = scores[s] / total;
                    var vh = new ReadOnlySpan<double>(v[s], kvh * d, d);
                    for (int i = 0; i < d; i++) outHead[i] += p * vh[i];
                }
            }
        });
        return OProj.Forward(context);
    }

    private static void Check(ReferenceLinear layer, int inFeatures, int outFeatures)
    {
        if (layer.InFeatures != inFeatures || layer.OutFeatures != outFeatures)
            throw new InvalidDataException(
                $"'{layer.Name}' is [{layer.OutFeatures}x{layer.InFeatures}], config implies [{outFeatures}x{inFeatures}].");
    }
}
