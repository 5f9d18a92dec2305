using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Lora;

namespace Lora.Bench;

/// <summary>
/// Learnable per-job data: each job's sequences follow its own arithmetic progression over the vocabulary, so a
/// LoRA adapter can lower the loss (the bf16-vs-fp32 comparison needs a signal) while every row is full length.
/// </summary>
public static class SyntheticJobs
{
    public static AdapterJob Job(int index, int batchSize, int seqLen, int rank, int vocab, int examples = 64)
    {
        var stride = 1 + (index * 7) % 61;
        var train = new List<TrainingExample>(examples);
        for (int e = 0; e < examples; e++)
        {
            var start = (index * 977 + e * 131) % vocab;
            var ids = new int[seqLen];
            var labels = new int[seqLen];
            for (int t = 0; t < seqLen; t++)
            {
                ids[t] = 1 + (start + t * stride) % (vocab - 1);
                labels[t] = 1 + (start + (t + 1) * stride) % (vocab - 1);
            }
            train.Add(new TrainingExample(ids, labels));
        }
        var lora = new LoraSettings { Rank = rank, Alpha = 2 * rank, TargetModules = [LoraSettings.AllLinear], Seed = 100 + index };
        var training = new TrainingSettings
        {
            LearningRate = 2e-3, Steps = 1_000_000, BatchSize = batchSize, SeqLen = seqLen,
            Schedule = TrainingSettings.Constant, Seed = index, EvalFraction = 0,
        };
        return new AdapterJob($"job-{index:D3}", lora, training, train, []);
    }

    public static IReadOnlyList<AdapterJob> Jobs(int count, int batchSize, int seqLen, int rank, int vocab) =>
        Enumerable.Range(0, count).Select(i => Job(i, batchSize, seqLen, rank, vocab)).ToArray();
}
