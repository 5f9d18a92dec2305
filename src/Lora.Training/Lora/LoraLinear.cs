using Lora.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Training.Lora;

/// <summary>
/// A frozen linear layer with one LoRA adapter: y = x Wᵀ (+ b) + scaling · dropout(x) Aᵀ Bᵀ.
/// W never changes while training; <see cref="Merge"/> folds scaling·BA into W for inference and
/// <see cref="Unmerge"/> takes it out again. Merging twice is a no-op, as in litgpt and PEFT.
/// </summary>
public sealed class LoraLinear : nn.Module
{
    private readonly FrozenLinear base_layer;
    private readonly Parameter lora_A;   // (r, in)
    private readonly Parameter lora_B;   // (out, r)
    private readonly LoraSettings _settings;
    private readonly Generator _generator;

    public LoraLinear(FrozenLinear baseLayer, LoraSettings settings, Generator generator) : base("lora_linear")
    {
        settings.Validate();
        if (settings.Rank > Math.Min(baseLayer.InFeatures, baseLayer.OutFeatures))
            throw new ArgumentException($"lora field 'rank' ({settings.Rank}) exceeds min(in, out) = {Math.Min(baseLayer.InFeatures, baseLayer.OutFeatures)} of the layer.");
        base_layer = baseLayer;
        _settings = settings;
        _generator = generator;
        using var pair = LoraPair.Create(baseLayer.InFeatures, baseLayer.OutFeatures, settings, generator, device: baseLayer.Weight.device);
        lora_A = nn.Parameter(pair.A.clone());
        lora_B = nn.Parameter(pair.B.clone());
        RegisterComponents();
    }

    public Tensor A => lora_A;
    public Tensor B => lora_B;
    public FrozenLinear BaseLayer => base_layer;
    public double Scaling => _settings.Scaling;
    public bool Merged { get; private set; }

    /// <summary>Only A and B train: r·(in + out).</summary>
    public long TrainableParameters => lora_A.numel() + lora_B.numel();

    public Tensor Forward(Tensor x)   // (…, in) → (…, out)
    {
        var y = base_layer.Forward(x);
        if (Merged) return y;
        using var delta = LoraMath.Delta(x, lora_A, lora_B, Scaling, _settings.Dropout, training, _generator);
        using (y) return y.add(delta);
    }

    /// <summary>W ← W + scaling·BA. Refuses non-finite results (PEFT's safe_merge) and leaves W untouched then.</summary>
    public void Merge()
    {
        if (Merged) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor merged;
        try { merged = LoraMath.MergedWeight(base_layer.Weight, lora_A, lora_B, Scaling, "layer"); }
        catch (InvalidDataException e) { throw new InvalidOperationException($"{e.Message} The base weight was left unchanged.", e); }
        base_layer.Weight.copy_(merged);
        Merged = true;
    }

    /// <summary>W ← W − scaling·BA.</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        base_layer.Weight.copy_(base_layer.Weight.to(ScalarType.Float32).sub(lora_B.matmul(lora_A).mul(Scaling)));
        Merged = false;
    }
}
