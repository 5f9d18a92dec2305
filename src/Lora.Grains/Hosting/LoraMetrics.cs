using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Lora.Abstractions;
using Lora.Training.Engine;

namespace Lora.Grains.Hosting;

/// <summary>
/// The product's metrics (meter "LoraCluster"), exported on every silo's /metrics. Labelled by base model, never by
/// job id: a fleet runs thousands of jobs and per-job series would swamp Prometheus.
/// </summary>
public sealed class LoraMetrics : IDisposable
{
    public const string MeterName = "LoraCluster";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _steps;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _stepDuration;
    private readonly Histogram<int> _fusedAdapters;
    private readonly Histogram<double> _checkpointDuration;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _completed;
    private readonly ConcurrentDictionary<string, JobState> _jobs = new();
    private readonly KeyValuePair<string, object?> _model;

    /// <summary>Steps and checkpoints take milliseconds to a minute; OpenTelemetry's default buckets (0, 5, 10, 25, …)
    /// are made for milliseconds and would put every step in le="5", leaving the latency percentiles meaningless.</summary>
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    };

    public LoraMetrics(SiloModelHost host)
    {
        _model = new("base_model", host.BaseModelId);
        _steps = _meter.CreateCounter<long>("lora_training_steps", description: "Optimizer steps completed");
        _tokens = _meter.CreateCounter<long>("lora_training_tokens", description: "Tokens trained on");
        _stepDuration = _meter.CreateHistogram("lora_step_duration", "s", "Wall time of one fused pass", tags: null, Seconds);
        _fusedAdapters = _meter.CreateHistogram("lora_fused_adapters_per_step", null, "Adapters sharing one fused pass", tags: null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        _checkpointDuration = _meter.CreateHistogram("lora_checkpoint_duration", "s", "Time to snapshot and persist a checkpoint", tags: null, Seconds);
        _failed = _meter.CreateCounter<long>("lora_jobs_failed", description: "Jobs that ended Failed, by reason");
        _completed = _meter.CreateCounter<long>("lora_jobs_completed", description: "Jobs that completed on this silo (adapter stored)");
        _meter.CreateObservableGauge("lora_active_adapters", () => new Measurement<int>(host.Engine.Admission.Resident, _model),
            description: "Adapters resident in the engine");
        _meter.CreateObservableGauge("lora_base_model_bytes", () => new Measurement<long>(host.WeightBytes, _model),
            "By", "Bytes of the frozen base (loaded once per silo)");
        _meter.CreateObservableGauge("lora_adapter_state_bytes", () => new Measurement<long>(host.Engine.Admission.UsedBytes, _model),
            "By", "Adapter parameters, gradients and optimizer moments resident");
        _meter.CreateObservableGauge("lora_jobs", ObserveJobs, description: "Jobs on this silo by state");
        host.Engine.PassCompleted += OnPass;
    }

    public void OnPass(FusedPassReport report)
    {
        _steps.Add(report.OptimizerSteps, _model);
        _tokens.Add(report.Tokens, _model);
        _stepDuration.Record(report.Duration.TotalSeconds, _model);
        _fusedAdapters.Record(report.Adapters, _model);
    }

    public void RecordCheckpoint(TimeSpan duration) => _checkpointDuration.Record(duration.TotalSeconds, _model);

    /// <summary>The state of a job active on this silo, for the lora_jobs gauge.</summary>
    public void RecordJobState(string jobKey, JobState state) => _jobs[jobKey] = state;

    /// <summary>A job that just failed; only its own transition counts (not a later re-activation of the failed job).</summary>
    public void RecordFailure(string? reason) => _failed.Add(1, _model, new("reason", Classify(reason)));

    /// <summary>A job that just completed here. Unlike lora_jobs, which follows activations, this never goes down:
    /// rate() of it is the cluster's completion throughput.</summary>
    public void RecordCompleted() => _completed.Add(1, _model);

    /// <summary>The job left this silo (deactivated or deleted): another silo may count it now.</summary>
    public void ForgetJob(string jobKey) => _jobs.TryRemove(jobKey, out _);

    private IEnumerable<Measurement<int>> ObserveJobs()
    {
        var counts = _jobs.Values.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        foreach (var state in Enum.GetValues<JobState>())
            yield return new Measurement<int>(counts.GetValueOrDefault(state), _model, new("state", state.ToString()));
    }

    /// <summary>A small fixed set of reasons keeps the label's cardinality bounded.</summary>
    private static string Classify(string? reason) => reason switch
    {
        null => "unknown",
        _ when reason.Contains("NaN", StringComparison.Ordinal) || reason.Contains("infinite") || reason.Contains("non-finite") => "non_finite_loss",
        _ when reason.Contains("checkpoint", StringComparison.OrdinalIgnoreCase) => "corrupt_checkpoint",
        _ when reason.Contains("dataset", StringComparison.OrdinalIgnoreCase) || reason.Contains(':') => "bad_input",
        _ => "error",
    };

    public void Dispose() => _meter.Dispose();
}
