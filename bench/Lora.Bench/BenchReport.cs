using System.Text.Json;

namespace Lora.Bench;

/// <summary>The single JSON object the benchmark prints, plus a short human summary for stderr.</summary>
public static class BenchReport
{
    public static Dictionary<string, object?> ToJson(BenchResults r)
    {
        var o = r.Options;
        var fused = r.Default.Fused.TokensPerSecond;
        var mfu = fused * r.FlopsPerToken / (r.Gemm.PeakGflops * 1e9);
        // The definition of adapter state: parameters + gradients + two AdamW moments. Between steps the
        // gradient does not exist (without accumulation), so RSS is also compared with the 3·P that stays resident.
        var stateBytes = 4 * r.AdapterParameters * sizeof(float);
        var residentStateBytes = 3 * r.AdapterParameters * sizeof(float);
        var rssPerAdapter = r.Memory?.BytesPerAdapter ?? double.NaN;
        var cluster = r.Cluster?.TokensPerSecond ?? double.NaN;
        var json = new Dictionary<string, object?>(Cluster(r.Cluster))
        {
            ["quick"] = o.Quick,
            ["engine"] = "src Lora.Training.Engine.TrainingEngine",
            ["native_allocator"] = Lora.Training.Runtime.NativeAllocatorTuning.State,
            ["omp_wait_policy"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)",
            ["gemm_peak_gflops"] = Stats.Round(r.Gemm.PeakGflops, 1),
            ["gemm_peak_from"] = r.Gemm.PeakFrom,
            ["gemm_gflops_by_size"] = r.Gemm.BySize.ToDictionary(k => k.Key, k => Stats.Round(k.Value, 1)),
            ["gemm_bf16_peak_gflops"] = Stats.Round(r.GemmBf16.PeakGflops, 1),
            ["sequential_tokens_per_s"] = Stats.Round(r.Default.Sequential.TokensPerSecond, 0),
            ["fused_tokens_per_s"] = Stats.Round(fused, 0),
            ["bigbatch_tokens_per_s"] = Stats.Round(r.Default.BigBatch.TokensPerSecond, 0),
            ["cluster_tokens_per_s"] = Stats.Round(cluster, 0),
            ["fused_mean_adapters_per_pass"] = Stats.Round(r.Default.Fused.MeanPassSize, 2),
            ["fused_engine_busy_fraction"] = Stats.Round(r.Default.Fused.BusyFraction),
            ["large_fused_engine_busy_fraction"] = Stats.Round(r.Large.Fused.BusyFraction),
            ["large_fused_mean_adapters_per_pass"] = Stats.Round(r.Large.Fused.MeanPassSize, 2),
            ["fused_vs_sequential"] = Stats.Round(r.Default.FusedVsSequential),
            ["fused_vs_bigbatch"] = Stats.Round(r.Default.FusedVsBigBatch),
            ["fused_vs_sequential_samples"] = Rounded(r.Default.FusedVsSequentialSamples, 3),
            ["fused_vs_bigbatch_samples"] = Rounded(r.Default.FusedVsBigBatchSamples, 3),
            ["mfu"] = Stats.Round(mfu, 4),
            ["bigbatch_mfu"] = Stats.Round(r.Default.BigBatch.TokensPerSecond * r.FlopsPerToken / (r.Gemm.PeakGflops * 1e9), 4),
            ["model_flops_per_token"] = r.FlopsPerToken,
            ["jobs"] = o.Jobs,
            ["model"] = r.ModelShape,
            ["batch_size"] = o.BatchSize,
            ["seq_len"] = o.SeqLen,
            ["rank"] = o.Rank,
            ["targets_modules"] = "all-linear",
            ["steps_per_job"] = o.Steps,
            ["repetitions"] = o.Repetitions,
            ["samples_tokens_per_s"] = new Dictionary<string, object>
            {
                ["sequential"] = Rounded(r.Default.Sequential.Samples), ["fused"] = Rounded(r.Default.Fused.Samples),
                ["bigbatch"] = Rounded(r.Default.BigBatch.Samples),
            },
            ["large_seq_len"] = o.LargeSeqLen,
            ["large_sequential_tokens_per_s"] = Stats.Round(r.Large.Sequential.TokensPerSecond, 0),
            ["large_fused_tokens_per_s"] = Stats.Round(r.Large.Fused.TokensPerSecond, 0),
            ["large_bigbatch_tokens_per_s"] = Stats.Round(r.Large.BigBatch.TokensPerSecond, 0),
            ["large_fused_vs_sequential"] = Stats.Round(r.Large.FusedVsSequential),
            ["large_fused_vs_bigbatch"] = Stats.Round(r.Large.FusedVsBigBatch),
            ["large_fused_vs_sequential_samples"] = Rounded(r.Large.FusedVsSequentialSamples, 3),
            ["large_fused_vs_bigbatch_samples"] = Rounded(r.Large.FusedVsBigBatchSamples, 3),
            ["bf16_fused_tokens_per_s"] = Stats.Round(r.Precision?.Bf16TokensPerSecond ?? double.NaN, 0),
            ["bf16_fp32_fused_tokens_per_s"] = Stats.Round(r.Precision?.Fp32TokensPerSecond ?? double.NaN, 0),
            ["bf16_vs_fp32_fused"] = Stats.Round(r.Precision?.Speedup ?? double.NaN),
            ["bf16_vs_fp32_fused_samples"] = r.Precision is null ? null : Rounded(r.Precision.SpeedupSamples, 3),
            ["bf16_loss_delta"] = Stats.Round(r.Precision?.LossDelta ?? double.NaN, 5),
            ["bf16_loss_steps"] = r.Precision?.Steps,
            ["fp32_loss_after_k"] = Stats.Round(r.Precision?.Fp32Loss ?? double.NaN, 5),
            ["bf16_loss_after_k"] = Stats.Round(r.Precision?.Bf16Loss ?? double.NaN, 5),
            ["bf16_mean_abs_job_loss_delta"] = Stats.Round(r.Precision?.MeanAbsJobLossDelta ?? double.NaN, 5),
            ["adapter_trainable_params"] = r.AdapterParameters,
            ["adapter_state_bytes"] = stateBytes,
            ["adapter_resident_state_bytes"] = residentStateBytes,
            ["rss_bytes_per_adapter"] = Stats.Round(rssPerAdapter, 0),
            ["rss_vs_state"] = Stats.Round(rssPerAdapter / stateBytes),
            ["rss_vs_resident_state"] = Stats.Round(rssPerAdapter / residentStateBytes),
            ["rss_probe_adapters"] = r.Memory?.Adapters,
            ["phases_ms"] = r.Phases?.ToDictionary(p => p.Key, p => (object)p.Value.ToJson()),
            ["base_forward_no_lora_ms"] = Stats.Round(r.BaseForwardMs),
            ["targets"] = Targets(r, mfu, rssPerAdapter / stateBytes),
            ["wall_seconds"] = Stats.Round(r.Seconds, 1),
        };
        return json;
    }

    /// <summary>The cluster-vs-fused pairs: part of the full report, and alone with --cluster-only.</summary>
    public static Dictionary<string, object?> Cluster(ClusterMode.Result? c) => new()
    {
        // Median of each repetition's cluster ÷ the fused run alternated with it on the cluster's own engine (same machine moment).
        ["cluster_vs_fused"] = Stats.Round(c?.ClusterVsFused ?? double.NaN),
        ["cluster_vs_fused_samples"] = c is null ? null : Rounded(c.RatioSamples, 3),
        ["cluster_paired_fused_tokens_per_s"] = Stats.Round(c?.FusedTokensPerSecond ?? double.NaN, 0),
        ["cluster_samples_tokens_per_s"] = c?.Samples,
        ["cluster_engine_busy_fraction"] = Stats.Round(c?.BusyFraction ?? double.NaN),
        ["cluster_mean_adapters_per_pass"] = Stats.Round(c?.MeanAdaptersPerPass ?? double.NaN, 2),
        ["cluster_training_seconds"] = Stats.Round(c?.TrainingSeconds ?? double.NaN, 2),
        ["cluster_wall_seconds"] = Stats.Round(c?.WallSeconds ?? double.NaN, 2),
    };

    private static Dictionary<string, object> Targets(BenchResults r, double mfu, double rssRatio) => new()
    {
        ["fused_vs_bigbatch>=0.8"] = Met(r.Default.FusedVsBigBatch, 0.8),
        ["fused_vs_sequential>=2.5"] = Met(r.Default.FusedVsSequential, 2.5),
        ["mfu>=0.4"] = Met(mfu, 0.4),
        ["large_fused_vs_sequential>=0.95"] = Met(r.Large.FusedVsSequential, 0.95),
        ["rss_bytes_per_adapter<=1.5x_state"] = rssRatio <= 1.5,
        ["cluster_vs_fused>=0.9"] = Met(r.Cluster?.ClusterVsFused ?? double.NaN, 0.9),
    };

    private static bool Met(double value, double target) => value >= target;

    private static double[] Rounded(IEnumerable<double> xs, int digits = 0) => xs.Select(x => Stats.Round(x, digits)).ToArray();

    public static string Serialize(Dictionary<string, object?> json, bool indented) =>
        JsonSerializer.Serialize(json, new JsonSerializerOptions
        {
            WriteIndented = indented,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        });
}
