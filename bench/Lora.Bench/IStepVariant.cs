using Lora.Training.Engine;
using Lora.Training.Lora;

namespace Lora.Bench;

/// <summary>How a profiled fused step supplies the LoRA paths and updates the adapters, so the engine's code and
/// prototypes of changes to it run through the same timed step.</summary>
public interface IStepVariant : IDisposable
{
    string Name { get; }
    /// <summary>Participants the batch is built from (one per adapter, in fused order).</summary>
    IReadOnlyList<StepParticipant> Participants { get; }
    /// <summary>Created inside the step's dispose scope.</summary>
    ILoraDelta CreateDelta(FusedBatch batch);
    /// <summary>Clip and AdamW for every participant (per-adapter losses already known).</summary>
    void Optimize(FusedBatch batch, double[] losses);
}
