using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Optim;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>The engine as it is: one flat vector per adapter, stacked per pass by <see cref="FusedLoraDelta"/>,
/// and the per-adapter norm/clip/AdamW of FusedStepExecutor.Finish (copied: it is private).</summary>
public sealed class EngineVariant : IStepVariant
{
    private readonly List<AdapterParameters> _parameters = [];
    private long _step;

    public EngineVariant(string name, IReadOnlyList<AdapterJob> jobs)
    {
        Name = name;
        var participants = new List<StepParticipant>();
        foreach (var job in jobs)
        {
            var p = SessionFactory.CreateParameters(new AdapterLayout(BenchModel.Config, job.Lora), job.Lora, CPU);
            _parameters.Add(p);
            participants.Add(new StepParticipant(p, job.Train.Take(job.Training.BatchSize).ToArray(), job.Training, 1,
                job.Training.LearningRate, true));
        }
        Participants = participants;
    }

    public string Name { get; }
    public IReadOnlyList<StepParticipant> Participants { get; }

    public ILoraDelta CreateDelta(FusedBatch batch) => new Engine.PatchedLoraDelta(Participants, batch.Groups, training: true, CPU);

    public void Optimize(FusedBatch batch, double[] losses)
    {
        _step++;
        foreach (var p in Participants)
        {
            var flat = p.Parameters.Flat;
            var grad = flat.grad!;
            using var _ = no_grad();
            var norm = grad.norm().item<float>();
            if (!double.IsFinite(norm)) { grad.zero_(); continue; }
            if (p.Settings.MaxGradNorm > 0 && norm > p.Settings.MaxGradNorm) grad.mul_(p.Settings.MaxGradNorm / (norm + 1e-6));
            FlatAdamW.Step(flat, grad, p.Parameters.M, p.Parameters.V, _step, p.LearningRate,
                p.Settings.Beta1, p.Settings.Beta2, p.Settings.Epsilon, p.Settings.WeightDecay);
            grad.zero_();
        }
    }

    public void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
    }
}
