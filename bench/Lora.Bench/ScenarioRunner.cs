using System.Diagnostics;
using Lora.Bench.Engine;
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
        Log.Info($"torch threads {get_num_threads()}, quick={options.Quick}");
        var gemmReps = options.Quick ? 3 : 5;
        var gemm = GemmProbe.Measure(ScalarType.Float32, gemmReps, 1024, 2048);
        var gemmBf16 = GemmProbe.Measure(ScalarType.BFloat16, gemmReps, 1024, 2048);
        Log.Info($"gemm fp32 peak {gemm.PeakGflops:F1} GFLOP/s, bf16 {gemmBf16.PeakGflops:F1}");

        using var model = BenchModel.CreateFp32();
        using var bf16Model = BenchModel.CastToBf16(model);
        foreach (var m in new[] { model, bf16Model }) RotaryWorkaround.Prefill(m, 8, options.SeqLen, options.LargeSeqLen);
        var tokenizer = new BenchTokenizer(BenchModel.Config.VocabSize);
        var engineOptions = new EngineOptions { MaxAdaptersPerStep = Math.Max(32, options.Jobs) };
        using var engine = await EngineSelector.CreateAsync("bench-fp32", model, tokenizer, engineOptions);
        using var bf16Engine = await EngineSelector.CreateAsync("bench-bf16", bf16Model, tokenizer, engineOptions);
        Log.Info($"engine: {engine.Kind}");

        var comparison = new ThroughputComparison(engine, options);
        var main = await comparison.RunAsync(options.SeqLen, options.Steps, $"T={options.SeqLen}");
        var large = await comparison.RunAsync(options.LargeSeqLen, options.LargeSteps, $"T={options.LargeSeqLen}");
        var precision = await new PrecisionProbe(engine, bf16Engine, options).MeasureAsync();

        var (phases, baseForward) = await engine.RunAsync(() => ProfilePhases(model));
        Log.Info("phases: " + string.Join("; ", phases.Select(p => $"{p.Key} {p.Value.TotalMs:F1} ms ({p.Value.TokensPerSecond:F0} tok/s)")));

        var memory = await new MemoryProbe(engine, options).MeasureAsync();
        Log.Info($"rss per adapter {memory.BytesPerAdapter / 1e6:F2} MB (state {memory.AdapterStateBytes / 1e6:F2} MB)");

        var gemmEnd = GemmProbe.Measure(ScalarType.Float32, gemmReps, 2048);
        var peak = new GemmProbe.Result(Math.Max(gemm.PeakGflops, gemmEnd.PeakGflops),
            new Dictionary<string, double>(gemm.BySize) { ["2048_end_of_run"] = gemmEnd.PeakGflops });
        var lora = new LoraSettings { Rank = options.Rank, TargetModules = [LoraSettings.AllLinear] };

        return new BenchResults
        {
            Options = options, Gemm = peak, GemmBf16 = gemmBf16,
            ModelShape = BenchModel.Shape(BenchModel.Config, BenchModel.TotalParameters(model)),
            FlopsPerToken = BenchModel.FlopsPerToken(BenchModel.Config),
            AdapterParameters = lora.TrainableParameters(BenchModel.Config),
            Default = main, Large = large, Precision = precision, Memory = memory,
            Phases = phases, BaseForwardMs = baseForward,
            ClusterTokensPerSecond = await ClusterMode.MeasureAsync(options),
            EngineKind = engine.Kind,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Runs on the engine's compute thread (same OpenMP pool as training).</summary>
    private (Dictionary<string, PhaseTimes>, double) ProfilePhases(Training.Model.LlamaForCausalLM model)
    {
        var vocab = model.Config.VocabSize;
        var jobs = SyntheticJobs.Jobs(options.Jobs, options.BatchSize, options.SeqLen, options.Rank, vocab);
        var big = new[] { SyntheticJobs.Job(0, options.Jobs * options.BatchSize, options.SeqLen, options.Rank, vocab) };
        var profiler = new PhaseProfiler(model, padId: 0);
        var result = new Dictionary<string, PhaseTimes>();
        double baseForward;
        using (var fused = new EngineVariant("fused", jobs))
        {
            result["fused"] = profiler.Profile(fused, options.ProfileSteps);
            baseForward = profiler.BaseForwardMs(fused, options.ProfileSteps);
        }
        using (var single = new EngineVariant("bigbatch", big)) result["bigbatch"] = profiler.Profile(single, options.ProfileSteps);
        using (var slab = new SlabVariant(jobs)) result["fused_segment_slab_prototype"] = profiler.Profile(slab, options.ProfileSteps);
        return (result, baseForward);
    }
}
