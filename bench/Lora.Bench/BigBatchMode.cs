using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>The fusion ceiling: one job whose micro-batch holds all N jobs' rows (batch N×b), trained alone.</summary>
public sealed class BigBatchMode(TrainingEngine engine, PassRecorder passes)
{
    public Task<ModeResult> RunAsync(int jobs, int batchSize, int seqLen, int rank, int steps)
    {
        var job = SyntheticJobs.Job(0, jobs * batchSize, seqLen, rank, engine.Model.Config.VocabSize);
        return new SequentialMode(engine, passes).RunAsync([job], steps);
    }
}
