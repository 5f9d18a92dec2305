using Lora.Training.Engine;

namespace Lora.Training.Optim;

/// <summary>
/// Linear warmup, then cosine / linear decay to zero, or constant. A pure function of the step so a resumed job
/// continues on exactly the curve it left.
/// </summary>
public static class LearningRateSchedule
{
    /// <summary>Learning rate for the optimizer step with zero-based index <paramref name="step"/>.</summary>
    public static double At(TrainingSettings s, int step)
    {
        if (s.WarmupSteps > 0 && step < s.WarmupSteps)
            return s.LearningRate * (step + 1) / s.WarmupSteps;
        var decaySteps = Math.Max(1, s.Steps - s.WarmupSteps);
        var progress = Math.Clamp((double)(step - s.WarmupSteps) / decaySteps, 0, 1);
        return s.Schedule switch
        {
            TrainingSettings.Cosine => s.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            TrainingSettings.Linear => s.LearningRate * (1 - progress),
            _ => s.LearningRate,
        };
    }
}
