namespace Lora.Reference;

/// <summary>
/// HF LlamaForCausalLM (also Qwen2ForCausalLM, whose math differs only by q/k/v bias) in double precision,
/// with an optional PEFT LoRA adapter applied to the matching nn.Linear modules.
/// </summary>
public sealed class ReferenceLlama
{
    private readonly DoubleTensor _embedTokens;
    private readonly ReferenceDecoderLayer[] _layers;
    private readonly RmsNorm _norm;
    private readonly ReferenceLinear _lmHead;

    private ReferenceLlama(
        ReferenceLlamaConfig config, DoubleTensor embedTokens, ReferenceDecoderLayer[] layers, RmsNorm norm, ReferenceLinear lmHead)
    {
        Config = config;
        _embedTokens = embedTokens;
        _layers = layers;
        _norm = norm;
        _lmHead = lmHead;
    }

    public ReferenceLlamaConfig Config { get; }

    public IReadOnlyList<ReferenceDecoderLayer> Layers => _layers;

    public ReferenceLinear LmHead => _lmHead;

    /// <summary>Loads config.json and model.safetensors (or a sharded index) from a HF model directory.</summary>
    public static ReferenceLlama Load(string modelDirectory, ReferenceLora? lora = null) =>
        FromWeights(ReferenceLlamaConfig.Load(modelDirectory), SafetensorsReader.ReadCheckpoint(modelDirectory), lora);

    /// <summary>Loads a HF model directory and a PEFT adapter directory.</summary>
    public static ReferenceLlama Load(string modelDirectory, string adapterDirectory) =>
        Load(modelDirectory, ReferenceLora.Load(adapterDirectory));

    /// <summary>Builds the model from HF-named tensors; every adapter module must match a linear layer.</summary>
    public static ReferenceLlama FromWeights(
        ReferenceLlamaConfig config, IReadOnlyDictionary<string, DoubleTensor> weights, ReferenceLora? lora = null)
    {
        var builder = new Builder(config, weights, lora);
        var embed = builder.Tensor("model.embed_tokens.weight", config.VocabSize, config.HiddenSize);
        var rotary = RotaryEmbedding.FromConfig(config);
        var layers = new ReferenceDecoderLayer[config.NumHiddenLayers];
        for (int n = 0; n < layers.Length; n++)
        {
            string p = $"model.layers.{n}.";
            var attention = new ReferenceAttention(config, rotary,
                builder.Linear(p + "self_attn.q_proj", config.AttentionBias),
                builder.Linear(p + "self_attn.k_proj", config.AttentionBias),
                builder.Linear(p + "self_attn.v_proj", config.AttentionBias),
                builder.Linear(p + "self_attn.o_proj", false));
            var mlp = new ReferenceMlp(
                builder.Linear(p + "mlp.gate_proj", false), builder.Linear(p + "mlp.up_proj", false), builder.Linear(p + "mlp.down_proj", false));
            layers[n] = new ReferenceDecoderLayer(
                builder.Norm(p + "input_layernorm.weight"), attention, builder.Norm(p + "post_attention_layernorm.weight"), mlp);
        }
        var norm = builder.Norm("model.norm.weight");

        // tie_word_embeddings: HF's tie_weights makes lm_head.weight the same Parameter as embed_tokens.weight,
        // and save_pretrained then omits lm_head.weight.
        ReferenceLinear lmHead = config.TieWordEmbeddings
            ? builder.Linear("lm_head", false, embed)
            : builder.Linear("lm_head", false);
        builder.EnsureAdapterFullyUsed();
        return new ReferenceLlama(config, embed, layers, norm, lmHead);
    }

    /// <summary>Logits [T][vocab] for input ids at positions 0..T-1 (no padding, no KV cache).</summary>
    public double[][] Logits(int[] tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        int hidden = Config.HiddenSize;
        var x = new double[tokenIds.Length][];
        for (int t = 0; t < tokenIds.Length; t++)
        {
            int id = tokenIds[t];
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokenIds), $"Token {id} is outside the vocabulary.");
            x[t] = _embedTokens.Data.AsSpan(id * hidden, hidden).ToArray();
        }
        foreach (var layer in _layers) x = layer.Forward(x);
        return _lmHead.Forward(_norm.Forward(x));
    }

    /// <summary>
    /// HF ForCausalLMLoss with labels = input_ids: logits at t predict token t+1 (shift by one),
    /// cross-entropy = logsumexp(logits_t) - logits_t[label], averaged over the T-1 predicted positions.
    /// </summary>
    public double MeanNextTokenLoss(int[] tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        if (tokenIds.Length < 2) throw new ArgumentException("Need at least two tokens to predict one.", nameof(tokenIds));
        double[][] logits = Logits(tokenIds);
        double total = 0;
        for (int t = 0; t + 1 < tokenIds.Length; t++)
            total += LogSumExp(logits[t]) - logits[t][tokenIds[t + 1]];
        return total / (tokenIds.Length - 1);
    }

    /// <summary>Numerically stable log Σ exp(z) (log-softmax denominator).</summary>
    public static double LogSumExp(ReadOnlySpan<double> z)
    {
        double max = double.NegativeInfinity;
        foreach (double v in z) max = Math.Max(max, v);
        double sum = 0;
        foreach (double v in z) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    private sealed class Builder(ReferenceLlamaConfig config, IReadOnlyDictionary<string, DoubleTensor> weights, ReferenceLora? lora)
    {
        private readonly HashSet<string> _usedAdapterModules = new(StringComparer.Ordinal);

        public DoubleTensor Tensor(string name, params int[] shape) =>
            weights.TryGetValue(name, out var t)
                ? t.Expect(name, shape)
                : throw new InvalidDataException($"Checkpoint lacks '{name}'.");

        public RmsNorm Norm(string name) => new(Tensor(name, config.HiddenSize), config.RmsNormEps);

        /// <summary>Bias is loaded whenever the checkpoint has it (Qwen2 q/k/v, Llama attention_bias/mlp_bias).</summary>
        public ReferenceLinear Linear(string module, bool biasRequired, DoubleTensor? tiedWeight = null)
        {
            DoubleTensor weight = tiedWeight
                ?? (weights.TryGetValue(module + ".weight", out var w) ? w : throw new InvalidDataException(
                    $"Checkpoint lacks '{module}.weight'" + (module == "lm_head" ? " and tie_word_embeddings is false." : ".")));
            weights.TryGetValue(module + ".bias", out var bias);
            if (biasRequired && bias is null) throw new InvalidDataException($"attention_bias is set but '{module}.bias' is missing.");
            LoraPair? pair = null;
            if (lora is not null && lora.Modules.TryGetValue(module, out pair)) _usedAdapterModules.Add(module);
            return new ReferenceLinear(module, weight, bias, pair);
        }

        /// <summary>An adapter key that matches no layer would otherwise be silently ignored.</summary>
        public void EnsureAdapterFullyUsed()
        {
            if (lora is null) return;
            var unused = lora.Modules.Keys.Where(m => !_usedAdapterModules.Contains(m)).ToList();
            if (unused.Count > 0)
                throw new InvalidDataException($"Adapter modules match no linear layer: {string.Join(", ", unused)}.");
        }
    }
}
