using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Lora;
using Lora.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Engine;

/// <summary>One adapter under test: its settings, micro-batch size, sequence length and learning rate.</summary>
internal sealed record AdapterSpec(LoraSettings Lora, int MicroBatch, int SeqLen, double LearningRate, double Dropout = 0)
{
    public TrainingSettings Training => new() { LearningRate = LearningRate, BatchSize = MicroBatch, SeqLen = SeqLen, WeightDecay = 0.01 };
}

internal static class EngineFixtures
{
    public static readonly AdapterSpec[] Mixed =
    [
        new(new LoraSettings { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = 1 }, 1, 5, 1e-2),
        new(new LoraSettings { Rank = 4, Alpha = 8, TargetModules = [LoraSettings.AllLinear], Seed = 2 }, 2, 9, 3e-3),
        new(new LoraSettings { Rank = 4, Alpha = 16, TargetModules = [LoraSettings.AllLinear], Seed = 3 }, 2, 12, 2e-2),
        new(new LoraSettings { Rank = 8, Alpha = 8, TargetModules = ["k_proj", "down_proj"], UseRsLora = true, Seed = 4 }, 3, 7, 5e-3),
    ];

    /// <summary>A small training job seeded by <paramref name="i"/>: rank 2 on q/v, 8 examples of 16 tokens, no eval split.</summary>
    public static AdapterJob Job(int i, int batch = 4, int accumulation = 1) => new($"job-{i}",
        new LoraSettings { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = i },
        new TrainingSettings { LearningRate = 1e-3, BatchSize = batch, SeqLen = 16, Steps = 1000, EvalFraction = 0, Seed = i,
            GradientAccumulation = accumulation },
        Examples(8, 16, i), []);

    /// <summary>Fresh parameters with B drawn from the seed too, so every factor gets a gradient from step 1.</summary>
    public static AdapterParameters Parameters(LlamaConfig config, LoraSettings settings)
    {
        var p = AdapterParameters.Create(new AdapterLayout(config, settings), settings, CPU);
        using var g = new Generator((ulong)(1000 + settings.Seed));
        using var _ = no_grad();
        foreach (var s in p.Layout.Segments)
        {
            using var b = p.B(s);
            b.normal_(0, 0.05, generator: g);
        }
        return p;
    }

    /// <summary>Random next-token examples: labels[t] = ids[t+1], the first two and the last positions ignored.</summary>
    public static TrainingExample[] Examples(int count, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var ids = Enumerable.Range(0, length + 1).Select(_ => rng.Next(1, 512)).ToArray();
            var labels = Enumerable.Range(0, length).Select(t => t < 2 ? TrainingExample.IgnoreIndex : ids[t + 1]).ToArray();
            labels[^1] = TrainingExample.IgnoreIndex;
            return new TrainingExample(ids[..length], labels);
        }).ToArray();
    }

    public static StepParticipant Participant(AdapterParameters p, AdapterSpec spec, int step, int seed, bool completes = true,
        TrainingSettings? training = null) =>
        new(p, Examples(spec.MicroBatch, spec.SeqLen, seed), training ?? spec.Training, step, spec.LearningRate, completes);

    public static void AssertClose(Tensor expected, Tensor actual, double tol, string what)
    {
        using var e = expected.detach().to(ScalarType.Float64);
        using var a = actual.detach().to(ScalarType.Float64);
        using var diff = e.sub(a).abs();
        using var bound = e.abs().mul(tol).add(tol);
        var worst = diff.sub(bound).max().item<double>();
        Assert.True(worst <= 0, $"{what}: max |diff| {diff.max().item<double>():g3} exceeds {tol:g1} abs/rel");
    }

    public static void AssertClose(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol * (1 + Math.Abs(expected)), $"{what}: {expected} vs {actual}");

    /// <summary>Blocks the compute thread with one exclusive item until the returned handle is disposed: work queued
    /// meanwhile is all there when the engine next chooses, so a test sees the engine's order, not a race with it.</summary>
    public static ParkedComputeThread Park(this TrainingEngine engine) => new(engine);
}

/// <summary>See <see cref="EngineFixtures.Park"/>. Dispose releases the thread (a test that never does holds it five
/// minutes at most, so disposing the engine cannot hang).</summary>
internal sealed class ParkedComputeThread : IDisposable
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ParkedComputeThread(TrainingEngine engine) => engine.RunAsync(() => _release.Task.Wait(TimeSpan.FromMinutes(5)));

    public void Dispose() => _release.TrySetResult();
}
