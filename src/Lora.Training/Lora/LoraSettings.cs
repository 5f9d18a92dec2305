using Lora.Training.Model;

namespace Lora.Training.Lora;

/// <summary>
/// What one adapter is: PEFT's LoraConfig for a causal LM. Validates itself with messages that name the field.
/// </summary>
public sealed record LoraSettings
{
    public const string AllLinear = "all-linear";
    public const string KaimingUniform = "kaiming-uniform";
    public const string Gaussian = "gaussian";

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    /// <summary>Dropout on the LoRA path's input only; the frozen path never sees it.</summary>
    public double Dropout { get; init; }
    /// <summary>HF module names (q_proj, v_proj, …) or the single entry "all-linear" (every block linear, not lm_head, as PEFT).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];
    /// <summary>rsLoRA: scaling alpha/√r, which keeps the update size stable as rank grows.</summary>
    public bool UseRsLora { get; init; }
    /// <summary>Initialisation of A: "kaiming-uniform" (PEFT's default) or "gaussian" (std 1/r). B is always zero.</summary>
    public string Init { get; init; } = KaimingUniform;
    public long Seed { get; init; }

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Concrete module names this adapter targets, in block order.</summary>
    public IReadOnlyList<string> ResolvedTargets =>
        TargetModules.Count == 1 && TargetModules[0] == AllLinear
            ? LlamaConfig.LinearModuleNames
            : LlamaConfig.LinearModuleNames.Where(TargetModules.Contains).ToArray();

    public LoraSettings Validate()
    {
        if (Rank <= 0) throw new ArgumentException($"lora field 'rank' must be >= 1 (got {Rank}).");
        if (!double.IsFinite(Alpha) || Alpha <= 0) throw new ArgumentException($"lora field 'alpha' must be a finite number > 0 (got {Alpha}).");
        if (!double.IsFinite(Dropout) || Dropout < 0 || Dropout >= 1) throw new ArgumentException($"lora field 'dropout' must be in [0, 1) (got {Dropout}).");
        if (TargetModules is null || TargetModules.Count == 0) throw new ArgumentException("lora field 'targets' must name at least one module (e.g. q_proj,v_proj or all-linear).");
        foreach (var t in TargetModules)
        {
            if (t == AllLinear && TargetModules.Count > 1) throw new ArgumentException("lora field 'targets': 'all-linear' cannot be combined with other module names.");
            if (t != AllLinear && !LlamaConfig.LinearModuleNames.Contains(t))
                throw new ArgumentException($"lora field 'targets': unknown module '{t}' (expected {string.Join(", ", LlamaConfig.LinearModuleNames)} or {AllLinear}).");
        }
        if (TargetModules.Distinct().Count() != TargetModules.Count) throw new ArgumentException($"lora field 'targets' lists a module twice ({string.Join(",", TargetModules)}).");
        if (Init is not (KaimingUniform or Gaussian)) throw new ArgumentException($"lora field 'init' must be '{KaimingUniform}' or '{Gaussian}' (got '{Init}').");
        return this;
    }

    /// <summary>Checks the adapter fits a base model: a rank above min(in, out) of a target is not low-rank.</summary>
    public LoraSettings ValidateFor(LlamaConfig config)
    {
        Validate();
        foreach (var t in ResolvedTargets)
        {
            var (o, i) = config.LinearShape(t);
            if (Rank > Math.Min(o, i))
                throw new ArgumentException($"lora field 'rank' ({Rank}) exceeds min(in, out) = {Math.Min(o, i)} of target '{t}' ({i} -> {o}).");
        }
        return this;
    }

    /// <summary>Trainable parameters: r·(in + out) per targeted layer.</summary>
    public long TrainableParameters(LlamaConfig config) =>
        config.NumHiddenLayers * ResolvedTargets.Sum(t => { var (o, i) = config.LinearShape(t); return (long)Rank * (i + o); });
}
