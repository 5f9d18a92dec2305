using System.Diagnostics;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// Runs one fused training pass: the shared frozen base over the concatenated micro-batches of many adapters,
/// each adapter's LoRA path on its own rows, backward, then one batched clip + AdamW per layout group for the
/// adapters whose optimizer step completes. Synchronous and thread-bound (dispose scopes and grad mode are per OS
/// thread): call it only from the engine's compute thread.
/// </summary>
/// <param name="chunkTokens">Padded tokens per forward/backward chunk. Adapters never share gradients, so a pass can
/// run as several independent chunks; past a few hundred rows of activations a bigger chunk gets slower per token on
/// CPU (caches, large buffers page-faulted afresh each pass — see docs/benchmarks.md), while smaller ones pay
/// per-op overhead per chunk.</param>
public sealed class FusedStepExecutor(LlamaForCausalLM model, int padId, int chunkTokens = FusedStepExecutor.DefaultChunkTokens)
{
    public const int DefaultChunkTokens = 512;

    public LlamaForCausalLM Model => model;

    /// <summary>Wall time of each phase of the last <see cref="Run"/> (summed over its chunks), for profiling.</summary>
    public PassPhases LastPhases { get; private set; } = new(0, 0, 0, 0, 0);

    public IReadOnlyList<ParticipantResult> Run(IReadOnlyList<StepParticipant> participants)
    {
        if (participants.Count == 0) throw new ArgumentException("a fused pass needs at least one participant.");
        var results = new ParticipantResult[participants.Count];
        var phases = new PassPhases(0, 0, 0, 0, 0);
        foreach (var chunk in Chunks(participants))
        {
            var chunkResults = RunChunk(chunk.Select(i => participants[i]).ToArray());
            for (int c = 0; c < chunk.Count; c++) results[chunk[c]] = chunkResults[c];
            phases = phases.Add(LastPhases);
        }
        LastPhases = phases;
        return results;
    }

    /// <summary>Participant indices in chunks of at most <c>chunkTokens</c> padded tokens (a larger participant gets
    /// a chunk of its own), ordered by layout, rows and length so groups stay whole and padding small.</summary>
    private List<List<int>> Chunks(IReadOnlyList<StepParticipant> participants)
    {
        var order = Enumerable.Range(0, participants.Count)
            .OrderBy(i => participants[i].Parameters.Layout.Key, StringComparer.Ordinal)
            .ThenBy(i => participants[i].MicroBatch.Count)
            .ThenBy(i => participants[i].MicroBatch.Max(e => e.Length));
        return TokenChunks.Split(order, i => participants[i].MicroBatch.Count, i => participants[i].MicroBatch.Max(e => e.Length), chunkTokens);
    }

    private ParticipantResult[] RunChunk(IReadOnlyList<StepParticipant> participants)
    {
        var t0 = Stopwatch.GetTimestamp();
        double build, forward, backward, readback;
        var batch = FusedBatch.Build(participants, padId);
        var losses = new double[participants.Count];
        var results = new ParticipantResult[participants.Count];
        using (var scope = NewDisposeScope())
        {
            var device = model.Device;
            var delta = new FusedLoraDelta(participants, batch.Groups, training: true, device);
            build = Ms(t0);
            var t1 = Stopwatch.GetTimestamp();
            var logits = model.Forward(batch.InputIds(device), delta);                             // (N, T, V)
            var tokenLoss = nn.functional.cross_entropy(logits.flatten(0, 1), batch.Labels(device).flatten(),
                ignore_index: Data.TrainingExample.IgnoreIndex, reduction: nn.Reduction.None);       // (N·T)
            var rowLoss = tokenLoss.view(batch.Rows, batch.SeqLen).sum(1);                        // (N)
            var total = rowLoss.mul(tensor(batch.RowWeight, device: device)).sum();
            forward = Ms(t1);
            var t2 = Stopwatch.GetTimestamp();
            total.backward();
            backward = Ms(t2);
            var t3 = Stopwatch.GetTimestamp();

            var owner = tensor(batch.RowOwner.Select(o => (long)o).ToArray(), device: device);
            var sums = zeros(participants.Count, dtype: ScalarType.Float64, device: device)
                .index_add(0, owner, rowLoss.detach().to(ScalarType.Float64), 1);                      // (K)
            var host = sums.cpu().data<double>().ToArray();
            for (int i = 0; i < participants.Count; i++)
                losses[i] = batch.LossTokens[i] == 0 ? double.NaN : host[i] / batch.LossTokens[i];
            readback = Ms(t3);

            var t4 = Stopwatch.GetTimestamp();
            using (no_grad())
            {
                for (int gi = 0; gi < batch.Groups.Count; gi++)
                    GroupUpdate.Apply(participants, batch.Groups[gi].Members, delta.Stacked(gi), delta.GroupGradient(gi),
                        losses, batch.InputTokens, results);
            }
            LastPhases = new PassPhases(build, forward, backward, readback, Ms(t4));
        }
        return results;
    }

    /// <summary>Mean next-token loss over examples with an adapter's delta (or the bare base when null), without gradients.</summary>
    /// <param name="batchSize">Rows per forward at most; fewer where they would pass <c>chunkTokens</c> padded tokens
    /// (at seq_len 8192 and a 32k vocabulary, 16 rows of logits alone are 17 GB).</param>
    public double Evaluate(Lora.ILoraDelta? delta, IReadOnlyList<Data.TrainingExample> examples, int batchSize = int.MaxValue)
    {
        double total = 0;
        long tokens = 0;
        using var _ = no_grad();
        foreach (var chunk in TokenChunks.Split(examples, e => 1, e => e.Length, chunkTokens, Math.Max(1, batchSize)))
        {
            using var scope = NewDisposeScope();
            var (ids, labels, lossTokens) = FusedBatch.Pad(chunk, padId, model.Device);
            var logits = model.Forward(ids, delta);                                               // (B, T, V)
            var loss = nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(),
                ignore_index: Data.TrainingExample.IgnoreIndex, reduction: nn.Reduction.Sum);
            total += loss.item<float>();
            tokens += lossTokens;
        }
        return tokens == 0 ? double.NaN : total / tokens;
    }

    private static double Ms(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}

/// <summary>Milliseconds spent in each phase of one fused pass (batch build includes the LoRA stacks).</summary>
public sealed record PassPhases(double BuildMs, double ForwardMs, double BackwardMs, double ReadbackMs, double OptimizerMs)
{
    public double TotalMs => BuildMs + ForwardMs + BackwardMs + ReadbackMs + OptimizerMs;

    public PassPhases Add(PassPhases o) => new(BuildMs + o.BuildMs, ForwardMs + o.ForwardMs, BackwardMs + o.BackwardMs,
        ReadbackMs + o.ReadbackMs, OptimizerMs + o.OptimizerMs);
}
