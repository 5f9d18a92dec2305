namespace Lora.Training.Engine;

/// <summary>One completed optimizer step of one adapter.</summary>
/// <param name="Step">Optimizer steps completed so far (1 after the first).</param>
/// <param name="Loss">Mean training loss over the step's micro-batches.</param>
/// <param name="FusedAdapters">Largest number of adapters that shared a pass with this step.</param>
/// <param name="Failure">Set when the adapter cannot continue (e.g. non-finite loss); the step was not applied.</param>
public sealed record TrainingStepResult(int Step, double Loss, int Tokens, double LearningRate, double GradNorm,
    int FusedAdapters, string? Failure);
