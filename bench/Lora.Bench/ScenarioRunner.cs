using System.Diagnostics;
using Lora.Training.Engine;
using Lora.Training.Lora;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>Runs every scenario in a fixed order in one process, so all ratios compare numbers from the same run.</summary>
public sealed class ScenarioRunner(BenchOptions options)
{
    public async Task<BenchResults> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        Log.Info($"torch threads {get_num_threads()}, quick={options.Quick}, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}");
        var gemmReps = options.Quick ? 3 : 5;
        var gemm = GemmProbe.Measure(ScalarType.Float32, gemmReps, 1024, 2048);
        var gemmBf16 = GemmProbe.Measure(ScalarType.BFloat16, gemmReps, 1024, 2048);
        Log.Info($"gemm fp32 peak {gemm.PeakGflops:F1} GFLOP/s, bf16 {gemmBf16.PeakGflops:F1}");

        using var model = BenchModel.CreateFp32();
        var tokenizer = new BenchTokenizer(BenchModel.Config.VocabSize);
        var engineOptions = EngineOptionsFor(options);
        using var engine = new TrainingEngine("bench-fp32", model, tokenizer, engineOptions);
        ThroughputComparison.Result main, large;
        using (var passes = new PassRecorder(engine))
        {
            var comparison = new ThroughputComparison(engine, passes, options);
            main = await comparison.RunAsync(options.SeqLen, options.Steps, $"T={options.SeqLen}");
            large = await comparison.RunAsync(options.LargeSeqLen, options.LargeSteps, $"T={options.LargeSeqLen}");
        }
        var results = new BenchResults
        {
            Options = options, Gemm = gemm, GemmBf16 = gemmBf16,
            ModelShape = BenchModel.Shape(BenchModel.Config, BenchModel.TotalParameters(model)),
            FlopsPerToken = BenchModel.FlopsPerToken(BenchModel.Config),
            AdapterParameters = new LoraSettings { Rank = options.Rank, TargetModules = [LoraSettings.AllLinear] }
                .TrainableParameters(BenchModel.Config),
            Default = main, Large = large,
        };
        if (options.ThroughputOnly)
            return results with { Gemm = GemmProbe.WithEndOfRun(gemm, gemmReps), Seconds = clock.Elapsed.TotalSeconds };

        PrecisionProbe.Result precision;
        using (var bf16Model = BenchModel.CastToBf16(model))
        using (var bf16Engine = new TrainingEngine("bench-bf16", bf16Model, tokenizer, engineOptions))
            precision = await new PrecisionProbe(engine, bf16Engine, options).MeasureAsync();

        var (phases, baseForward) = await engine.RunAsync(() => ProfilePhases(model));
        Log.Info("phases: " + string.Join("; ", phases.Select(p => $"{p.Key} {p.Value.TotalMs:F1} ms ({p.Value.TokensPerSecond:F0} tok/s)")));

        var memory = await new MemoryProbe(engine, options).MeasureAsync();
        Log.Info($"rss per adapter {memory.BytesPerAdapter / 1e6:F2} MB (state {memory.AdapterStateBytes / 1e6:F2} MB)");

        var cluster = await ClusterMode.MeasureAsync(options, model, tokenizer, engineOptions);

        return results with
        {
            Gemm = GemmProbe.WithEndOfRun(gemm, gemmReps), Precision = precision, Memory = memory, Phases = phases,
            BaseForwardMs = baseForward, Cluster = cluster, Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    public static EngineOptions EngineOptionsFor(BenchOptions options) =>
        new() { MaxAdaptersPerStep = Math.Max(32, options.Jobs), TuneNativeAllocator = !options.NoAllocatorTuning };

    /// <summary>Runs on the engine's compute thread (same OpenMP pool as training).</summary>
    private (Dictionary<string, PhaseTimes>, double) ProfilePhases(Training.Model.LlamaForCausalLM model)
    {
        var vocab = model.Config.VocabSize;
        var jobs = SyntheticJobs.Jobs(options.Jobs, options.BatchSize, options.SeqLen, options.Rank, vocab);
        var big = new[] { SyntheticJobs.Job(0, options.Jobs * options.BatchSize, options.SeqLen, options.Rank, vocab) };
        var profiler = new PhaseProfiler(model, padId: 0);
        var result = new Dictionary<string, PhaseTimes>
        {
            ["fused"] = profiler.Profile(jobs, options.ProfileSteps),
            ["bigbatch"] = profiler.Profile(big, options.ProfileSteps),
        };
        return (result, profiler.BaseForwardMs(jobs, options.ProfileSteps));
    }
}
