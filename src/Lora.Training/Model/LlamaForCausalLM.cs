using Lora.Training.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>
/// A frozen HF Llama-family causal LM (llama, qwen2, mistral layouts). Parameter names mirror HuggingFace
/// (model.layers.0.self_attn.q_proj.weight, lm_head.weight) so checkpoints bind by name. Every parameter has
/// requires_grad = false: adapters train through <see cref="ILoraDelta"/>, and the base is shared read-only by
/// every adapter on the silo.
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
    private readonly LlamaModel model;
    private readonly FrozenLinear? lm_head;   // null when tie_word_embeddings
    private readonly RotaryEmbedding _rotary;

    private LlamaForCausalLM(LlamaConfig config, ScalarType dtype, Device device) : base("LlamaForCausalLM")
    {
        Config = config.Validate();
        WeightDtype = dtype;
        Device = device;
        _rotary = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.MaxPositionEmbeddings, config.RopeScaling);
        model = new LlamaModel(config, _rotary, dtype, device);
        if (!config.TieWordEmbeddings)
            lm_head = new FrozenLinear(config.HiddenSize, config.VocabSize, false, dtype, device, "lm_head");
        RegisterComponents();
    }

    public LlamaConfig Config { get; }
    public ScalarType WeightDtype { get; }
    public Device Device { get; }

    /// <summary>A base with zero weights, ready to bind a checkpoint or to be initialised.</summary>
    public static LlamaForCausalLM Create(LlamaConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"base weight dtype must be float32 or bfloat16 (got {dtype}); float16 compute on CPU is unusably slow.");
        return new LlamaForCausalLM(config, dtype, device ?? CPU);
    }

    /// <summary>GPT-style random init (normal, std 0.02; norms at 1) from a seed, for new tiny models.</summary>
    public LlamaForCausalLM InitializeRandom(long seed)
    {
        using var generator = new Generator((ulong)seed, Device);   // normal_ rejects a generator of another device type
        using (no_grad())
        {
            foreach (var (name, p) in named_parameters())
            {
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1);
                else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
                else p.normal_(0, 0.02, generator: generator);
            }
        }
        return this;
    }

    /// <summary>Logits for next-token prediction.   inputIds (B, T) → (B, T, V) float32.</summary>
    public Tensor Forward(Tensor inputIds, ILoraDelta? lora = null)
    {
        using var hidden = Trunk(inputIds, lora);   // (B, T, C)
        return Head(hidden);
    }

    /// <summary>Logits of the last position only.   inputIds (B, T) → (B, V) float32. Generation reads nothing else,
    /// and the head over every position is T × V floats (the largest tensor of a long prompt with a big vocabulary).</summary>
    public Tensor ForwardLast(Tensor inputIds, ILoraDelta? lora = null)
    {
        using var hidden = Trunk(inputIds, lora);   // (B, T, C)
        using var last = hidden.select(1, -1);      // (B, C)
        return Head(last);
    }

    /// <summary>(B, T) → (B, T, C) float32, final norm applied.</summary>
    private Tensor Trunk(Tensor inputIds, ILoraDelta? lora)
    {
        if (inputIds.shape[1] > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"sequence length {inputIds.shape[1]} exceeds the model's max_position_embeddings {Config.MaxPositionEmbeddings}.");
        return model.Forward(inputIds, lora);
    }

    /// <summary>(…, C) → (…, V) float32.</summary>
    private Tensor Head(Tensor hidden)
    {
        if (lm_head is not null) return lm_head.Forward(hidden);
        using var cast = hidden.to(WeightDtype);
        using var logits = nn.functional.linear(cast, model.EmbedTokens);
        return logits.to(ScalarType.Float32);
    }

    /// <summary>Bytes held by the frozen weights (the memory one silo spends once, whatever the adapter count).</summary>
    public long WeightBytes => parameters().Sum(p => p.numel() * p.ElementSize);

    /// <summary>The frozen linear layer at an HF module path, e.g. model.layers.0.self_attn.q_proj.</summary>
    public FrozenLinear Linear(string modulePath) =>
        named_modules().FirstOrDefault(m => m.name == modulePath).module as FrozenLinear
        ?? throw new ArgumentException($"'{modulePath}' is not a linear module of this base model.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _rotary.Dispose();
        base.Dispose(disposing);
    }
}
