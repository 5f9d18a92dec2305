namespace Lora.Training.Engine;

/// <summary>How one adapter is optimised. Validates itself with messages that name the field and value.</summary>
public sealed record TrainingSettings
{
    public const string Cosine = "cosine";
    public const string Linear = "linear";
    public const string Constant = "constant";

    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Optimizer steps (each may accumulate several micro-batches).</summary>
    public int Steps { get; init; } = 100;
    /// <summary>Sequences per micro-batch.</summary>
    public int BatchSize { get; init; } = 8;
    public int SeqLen { get; init; } = 128;
    public int WarmupSteps { get; init; }
    /// <summary>Decay after warmup: cosine (to 0 at the last step), linear (to 0), or constant.</summary>
    public string Schedule { get; init; } = Cosine;
    public double WeightDecay { get; init; }
    /// <summary>Per-adapter gradient-norm clip; 0 disables.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Micro-batches summed into one optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Share of examples held out for eval loss (0 disables).</summary>
    public double EvalFraction { get; init; } = 0.1;
    /// <summary>Evaluate every N steps (0: only at the start and the end).</summary>
    public int EvalEvery { get; init; }
    public long Seed { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;

    public TrainingSettings Validate(int? maxContext = null)
    {
        static ArgumentException Bad(string field, object value, string rule) =>
            new($"training field '{field}' {rule} (got {value}).");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) throw Bad("lr", LearningRate, "must be a finite number > 0");
        if (Steps <= 0) throw Bad("steps", Steps, "must be >= 1");
        if (BatchSize <= 0) throw Bad("batch_size", BatchSize, "must be >= 1");
        if (SeqLen < 2) throw Bad("seq_len", SeqLen, "must be >= 2");
        if (maxContext is { } ctx && SeqLen > ctx) throw Bad("seq_len", SeqLen, $"exceeds the base model's context of {ctx} tokens");
        if (WarmupSteps < 0 || WarmupSteps > Steps) throw Bad("warmup_steps", WarmupSteps, $"must be in [0, steps={Steps}]");
        if (Schedule is not (Cosine or Linear or Constant)) throw Bad("schedule", Schedule, "must be cosine, linear or constant");
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0) throw Bad("weight_decay", WeightDecay, "must be >= 0");
        if (!double.IsFinite(MaxGradNorm) || MaxGradNorm < 0) throw Bad("max_grad_norm", MaxGradNorm, "must be >= 0");
        if (GradientAccumulation <= 0) throw Bad("grad_accum", GradientAccumulation, "must be >= 1");
        if (!double.IsFinite(EvalFraction) || EvalFraction < 0 || EvalFraction >= 1) throw Bad("eval_fraction", EvalFraction, "must be in [0, 1)");
        if (EvalEvery < 0) throw Bad("eval_every", EvalEvery, "must be >= 0");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw Bad("betas", $"{Beta1},{Beta2}", "must be in [0, 1)");
        if (!(Epsilon > 0)) throw Bad("epsilon", Epsilon, "must be > 0");
        return this;
    }
}
