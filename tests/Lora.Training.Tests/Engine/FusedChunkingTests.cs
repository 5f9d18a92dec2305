using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Runtime;
using Lora.Training.Tests.Model;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Engine;

public sealed class FusedChunkingTests
{
    public FusedChunkingTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void A_pass_split_into_chunks_equals_the_same_pass_run_whole()
    {
        using var model = Tiny.Model();
        var whole = new FusedStepExecutor(model, padId: 0, chunkTokens: 1_000_000);
        var chunked = new FusedStepExecutor(model, padId: 0, chunkTokens: 20);   // about one adapter per chunk
        var specs = EngineFixtures.Mixed.Concat(EngineFixtures.Mixed.Select(s => s with { Lora = s.Lora with { Seed = s.Lora.Seed + 10 } })).ToArray();
        var a = specs.Select(s => EngineFixtures.Parameters(model.Config, s.Lora)).ToArray();
        var b = specs.Select(s => EngineFixtures.Parameters(model.Config, s.Lora)).ToArray();
        for (int step = 1; step <= 3; step++)
        {
            var ra = whole.Run(specs.Select((s, i) => EngineFixtures.Participant(a[i], s, step, seed: 10 * step + i)).ToArray());
            var rb = chunked.Run(specs.Select((s, i) => EngineFixtures.Participant(b[i], s, step, seed: 10 * step + i)).ToArray());
            for (int i = 0; i < specs.Length; i++)
            {
                Assert.True(ra[i].Stepped && rb[i].Stepped, $"adapter {i} must step");
                EngineFixtures.AssertClose(ra[i].Loss, rb[i].Loss, 1e-5, $"adapter {i} loss at step {step}");
                EngineFixtures.AssertClose(ra[i].GradNorm, rb[i].GradNorm, 1e-4, $"adapter {i} grad norm at step {step}");
                EngineFixtures.AssertClose(a[i].Flat, b[i].Flat, 1e-5, $"adapter {i} parameters after step {step}");
                EngineFixtures.AssertClose(a[i].M, b[i].M, 1e-5, $"adapter {i} first moment after step {step}");
                EngineFixtures.AssertClose(a[i].V, b[i].V, 1e-5, $"adapter {i} second moment after step {step}");
            }
        }
        foreach (var p in a.Concat(b)) p.Dispose();
    }

    [Fact]
    public void Evaluation_runs_at_most_the_chunk_token_budget_per_forward_and_gives_the_same_loss()
    {
        using var model = Tiny.Model();
        var examples = EngineFixtures.Examples(10, 16, seed: 3);
        var rows = new RowRecorder();
        var chunked = new FusedStepExecutor(model, padId: 0, chunkTokens: 40).Evaluate(rows, examples, batchSize: 16);
        // 16-token rows in a 40-token budget: two per forward, whatever the 16 rows asked for.
        Assert.Equal(2, rows.Max);
        var whole = new FusedStepExecutor(model, padId: 0, chunkTokens: 1_000_000).Evaluate(null, examples, batchSize: 16);
        EngineFixtures.AssertClose(whole, chunked, 1e-5, "loss of the chunked evaluation");
    }

    /// <summary>Adds nothing; remembers the most rows one forward carried.</summary>
    private sealed class RowRecorder : ILoraDelta
    {
        public long Max { get; private set; }

        public Tensor? Apply(int layer, string module, Tensor x)
        {
            Max = Math.Max(Max, x.shape[0]);
            return null;
        }
    }
}
