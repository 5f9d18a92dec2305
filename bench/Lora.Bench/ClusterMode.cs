using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lora.Abstractions;
using Lora.Grains.Hosting;
using Lora.Training.Engine;
using Lora.Training.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lora.Bench;

/// <summary>
/// The Orleans path end to end: an in-process silo (localhost clustering, memory storage and reminders) hosting the
/// same base through <see cref="SiloModelHost"/>, and the N default-scenario jobs submitted as JSONL through
/// <see cref="IAdapterGrain"/>. Throughput counts only the training phase: tokens of the engine's fused passes over
/// the time from the start of the first pass to the end of the last, so dataset upload and tokenisation are excluded.
/// </summary>
public static class ClusterMode
{
    /// <summary>Medians over repetitions; <paramref name="FusedTokensPerSecond"/> is the same jobs run through the
    /// same engine directly, alternating with the cluster runs so both see the same machine, and
    /// <paramref name="RatioSamples"/> each repetition's cluster ÷ its paired fused run.</summary>
    public sealed record Result(double TokensPerSecond, double FusedTokensPerSecond, double MeanAdaptersPerPass,
        double BusyFraction, double TrainingSeconds, double WallSeconds, IReadOnlyList<double> Samples,
        IReadOnlyList<double> RatioSamples)
    {
        public double ClusterVsFused => Stats.Median(RatioSamples);
    }

    public static async Task<Result> MeasureAsync(BenchOptions options, LlamaForCausalLM model, BenchTokenizer tokenizer, EngineOptions engineOptions)
    {
        var dataDir = Directory.CreateTempSubdirectory("lora-bench-cluster-");
        // A fresh engine over the same frozen module; the host must not dispose the model (the caller owns it).
        var engine = new TrainingEngine("bench", model, tokenizer, engineOptions);
        var host = new SiloModelHost(new BaseModel("bench", dataDir.FullName, model, tokenizer), engine, "cpu");
        var passes = new ConcurrentQueue<(DateTime End, TimeSpan Duration, int Adapters, int Tokens)>();
        engine.PassCompleted += r => passes.Enqueue((DateTime.UtcNow, r.Duration, r.Adapters, r.Tokens));
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        using var silo = new HostBuilder()
            .UseOrleans(s =>
            {
                s.UseLocalhostClustering(siloPort, gatewayPort);
                s.UseInMemoryReminderService();
                s.AddLoraGrains(host, JobStorage.Memory, dataDir.FullName);
            })
            .Build();
        try
        {
            await silo.StartAsync();
            var client = silo.Services.GetRequiredService<IClusterClient>();
            var jobs = SyntheticJobs.Jobs(options.Jobs, options.BatchSize, options.SeqLen, options.Rank, model.Config.VocabSize);
            using var fusedPasses = new PassRecorder(engine);
            var fused = new FusedMode(engine, fusedPasses);
            var clusterRuns = new List<Run>();
            var fusedRuns = new List<double>();
            for (int rep = 0; rep <= options.Repetitions; rep++)   // rep 0 warms the grain code paths up
            {
                var f = await fused.RunAsync(jobs, options.Steps);
                passes.Clear();
                var c = await RunJobsAsync(client, rep, options, model.Config.VocabSize, passes.ToArray);
                Log.Info($"cluster rep {rep}/{options.Repetitions}: cluster {c.TokensPerSecond:F0}, fused {f.TokensPerSecond:F0} tokens/s; "
                    + $"busy {c.BusyFraction:P0}; passes (adapters:ms) {string.Join(" ", passes.Select(p => $"{p.Adapters}:{p.Duration.TotalMilliseconds:F0}"))}");
                if (rep == 0) continue;
                clusterRuns.Add(c);
                fusedRuns.Add(f.TokensPerSecond);
            }
            return new Result(Stats.Median(clusterRuns.Select(r => r.TokensPerSecond)), Stats.Median(fusedRuns),
                Stats.Median(clusterRuns.Select(r => r.MeanAdapters)), Stats.Median(clusterRuns.Select(r => r.BusyFraction)),
                Stats.Median(clusterRuns.Select(r => r.TrainingSeconds)), Stats.Median(clusterRuns.Select(r => r.WallSeconds)),
                clusterRuns.Select(r => Stats.Round(r.TokensPerSecond, 0)).ToArray(),
                Stats.PairedRatios(clusterRuns.Select(r => r.TokensPerSecond).ToArray(), fusedRuns));
        }
        finally
        {
            await silo.StopAsync();
            host.Metrics.Dispose();
            engine.Dispose();
            dataDir.Delete(recursive: true);
        }
    }

    private sealed record Run(double TokensPerSecond, double MeanAdapters, double BusyFraction, double TrainingSeconds, double WallSeconds);

    private static async Task<Run> RunJobsAsync(IClusterClient client, int rep, BenchOptions options, int vocab,
        Func<(DateTime End, TimeSpan Duration, int Adapters, int Tokens)[]> passes)
    {
        var specs = Enumerable.Range(0, options.Jobs).Select(i => Spec(rep, i, options)).ToArray();
        var wall = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(specs.Select(async (spec, i) =>
        {
            var grain = client.GetGrain<IAdapterGrain>(spec.GrainKey);
            await grain.UploadDatasetChunk(0, 1, Dataset(i, options.SeqLen, vocab));
            await grain.Submit(spec);
        }));
        await WaitCompletedAsync(client, specs);
        var list = passes();
        // To the end of the last pass, as PassRecorder times the paired fused runs: the grains' turns after it are
        // completion handling, not training.
        var seconds = (list[^1].End - (list[0].End - list[0].Duration)).TotalSeconds;
        var tokens = list.Sum(p => (long)p.Tokens);
        return new Run(tokens / seconds, list.Average(p => p.Adapters), list.Sum(p => p.Duration.TotalSeconds) / seconds, seconds,
            wall.Elapsed.TotalSeconds);
    }

    private static JobSpec Spec(int rep, int index, BenchOptions o) => new()
    {
        JobId = $"bench-{rep}-{index:D3}", BaseModel = "bench", Rank = o.Rank, Alpha = 2 * o.Rank, Targets = ["all-linear"],
        LearningRate = 2e-3, Steps = o.Steps, BatchSize = o.BatchSize, SeqLen = o.SeqLen, Seed = index,
        Schedule = "constant", EvalFraction = 0, CheckpointEverySteps = o.Steps,
    };

    /// <summary>One {"text"} record per job: the same progression SyntheticJobs uses, as space-separated token ids
    /// (<see cref="BenchTokenizer.Encode"/>), long enough to pack into 64 full windows of T+1 tokens.</summary>
    private static string Dataset(int index, int seqLen, int vocab)
    {
        var stride = 1 + (index * 7) % 61;
        var start = (index * 977) % vocab;
        var ids = Enumerable.Range(0, 64 * seqLen + 1).Select(t => 1 + (start + t * stride) % (vocab - 1));
        return System.Text.Json.JsonSerializer.Serialize(new { text = string.Join(' ', ids) }) + "\n";
    }

    private static async Task WaitCompletedAsync(IClusterClient client, JobSpec[] specs)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            var statuses = await Task.WhenAll(specs.Select(s => client.GetGrain<IAdapterGrain>(s.GrainKey).GetStatus()));
            if (statuses.FirstOrDefault(s => s.State is JobState.Failed or JobState.Canceled) is { } bad)
                throw new InvalidOperationException($"cluster job {bad.JobId} ended {bad.State}: {bad.Error}");
            if (statuses.All(s => s.State == JobState.Completed)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("cluster jobs did not complete within 5 minutes.");
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
