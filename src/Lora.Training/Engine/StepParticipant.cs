using Lora.Training.Data;

namespace Lora.Training.Engine;

/// <summary>One adapter's share of a fused pass: a micro-batch and, if it ends an optimizer step, the update to make.</summary>
/// <param name="OptimizerStep">1-based index of the update this micro-batch belongs to (AdamW bias correction).</param>
/// <param name="StepLossTokens">Loss tokens of the whole optimizer step (all its micro-batches): each token then
/// weighs the same, as in one batch of all of them. 0 = this micro-batch's own count times the accumulation steps.</param>
public sealed record StepParticipant(
    AdapterParameters Parameters,
    IReadOnlyList<TrainingExample> MicroBatch,
    TrainingSettings Settings,
    long OptimizerStep,
    double LearningRate,
    bool CompletesStep,
    int StepLossTokens = 0);

/// <summary>What a fused pass did for one participant.</summary>
/// <param name="Loss">Mean next-token loss over the participant's loss tokens in this micro-batch.</param>
/// <param name="Tokens">Non-padding input tokens the participant contributed.</param>
/// <param name="GradNorm">Pre-clip gradient norm when the optimizer stepped, else NaN.</param>
/// <param name="Failure">Why the adapter cannot continue (non-finite loss), else null.</param>
public sealed record ParticipantResult(double Loss, int Tokens, bool Stepped, double GradNorm, string? Failure);
