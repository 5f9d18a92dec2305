using Lora.Abstractions;
using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Model;

namespace Lora.Grains.Jobs;

/// <summary>Turns a client's <see cref="JobSpec"/> into the engine's validated settings; errors name the field.</summary>
public static class JobSpecMapping
{
    /// <param name="grainKey">The adapter grain's key, "{baseModel}/{jobId}": the spec must name the same job.</param>
    public static (LoraSettings Lora, TrainingSettings Training) Validate(JobSpec spec, string grainKey, LlamaConfig config)
    {
        if (!AdapterKeys.IsValidId(spec.JobId))
            throw new ArgumentException($"job field 'jobId' must be 1-128 letters, digits, '.', '_' or '-' (got '{spec.JobId}').");
        var (keyBaseModel, keyJobId) = (AdapterKeys.BaseModelOf(grainKey), AdapterKeys.JobIdOf(grainKey));
        if (spec.BaseModel != keyBaseModel)
            throw new ArgumentException($"job field 'baseModel' ('{spec.BaseModel}') does not match the grain's base model '{keyBaseModel}'.");
        if (spec.JobId != keyJobId)
            throw new ArgumentException($"job field 'jobId' ('{spec.JobId}') does not match the grain's job id '{keyJobId}'.");
        if (spec.CheckpointEverySteps < 1)
            throw new ArgumentException($"job field 'checkpointEverySteps' must be >= 1 (got {spec.CheckpointEverySteps}).");
        if (!double.IsFinite(spec.CheckpointEverySeconds) || spec.CheckpointEverySeconds < 0)
            throw new ArgumentException($"job field 'checkpointEverySeconds' must be a finite number >= 0 (got {spec.CheckpointEverySeconds}).");
        var lora = new LoraSettings
        {
            Rank = spec.Rank,
            Alpha = spec.Alpha,
            Dropout = spec.Dropout,
            TargetModules = spec.Targets ?? [],
            UseRsLora = spec.UseRsLora,
            Seed = spec.Seed,
        }.ValidateFor(config);
        var training = new TrainingSettings
        {
            LearningRate = spec.LearningRate,
            Steps = spec.Steps,
            BatchSize = spec.BatchSize,
            SeqLen = spec.SeqLen,
            WarmupSteps = spec.WarmupSteps,
            Schedule = spec.Schedule,
            EvalFraction = spec.EvalFraction,
            GradientAccumulation = spec.GradientAccumulation,
            WeightDecay = spec.WeightDecay,
            MaxGradNorm = spec.MaxGradNorm,
            Seed = spec.Seed,
        }.Validate(config.MaxPositionEmbeddings);
        return (lora, training);
    }
}
