namespace Lora.Deploy.Tests.Monitoring;

/// <summary>The Prometheus names the silo exports (the metrics contract); dashboards and docs may use only these.</summary>
internal static class MetricsContract
{
    public static readonly string[] Counters = ["lora_training_steps_total", "lora_training_tokens_total", "lora_jobs_failed_total",
        "lora_jobs_completed_total"];

    public static readonly string[] Gauges = ["lora_active_adapters", "lora_jobs", "lora_base_model_bytes", "lora_adapter_state_bytes"];

    public static readonly string[] Histograms =
        ["lora_step_duration_seconds", "lora_fused_adapters_per_step", "lora_checkpoint_duration_seconds"];

    /// <summary>Orleans' meter and the .NET runtime/process instrumentation, plus Prometheus' own target health.</summary>
    public static readonly string[] ForeignPrefixes = ["orleans_", "dotnet_", "process_"];

    public static bool IsKnown(string name) =>
        Counters.Contains(name) || Gauges.Contains(name) || name == "up"
        || Histograms.Any(h => name == h + "_bucket" || name == h + "_sum" || name == h + "_count")
        || ForeignPrefixes.Any(name.StartsWith);

    /// <summary>Prose may name a histogram itself; a query must name one of its series.</summary>
    public static bool IsDocumented(string name) => IsKnown(name) || Histograms.Contains(name);
}
