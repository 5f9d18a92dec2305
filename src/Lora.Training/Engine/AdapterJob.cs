using Lora.Training.Data;
using Lora.Training.Lora;

namespace Lora.Training.Engine;

/// <summary>Everything the engine needs to train one adapter: what it is, how to optimise it, and its data.</summary>
public sealed record AdapterJob(
    string JobId,
    LoraSettings Lora,
    TrainingSettings Training,
    IReadOnlyList<TrainingExample> Train,
    IReadOnlyList<TrainingExample> Eval);
