using Lora.Abstractions;

namespace Lora.Grains.Jobs;

/// <summary>A job's durable record: spec, lifecycle and loss history (one entry per completed step). Rewritten at
/// every checkpoint, so it holds only the dataset's hash: the dataset itself is <see cref="AdapterDatasetState"/>.</summary>
[GenerateSerializer, Alias("lora.AdapterJobState")]
public sealed class AdapterJobState
{
    [Id(0)] public JobSpec? Spec { get; set; }
    /// <summary>Where records written before the dataset had its own state kept it; read, never written.</summary>
    [Id(1)] public string Dataset { get; set; } = "";
    [Id(2)] public JobState State { get; set; }
    [Id(3)] public int Step { get; set; }
    [Id(4)] public List<double> TrainLosses { get; set; } = [];
    [Id(5)] public double? EvalLoss { get; set; }
    [Id(6)] public double? BaseEvalLoss { get; set; }
    [Id(7)] public string? Error { get; set; }
    [Id(8)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(9)] public double TokensPerSecond { get; set; }
    /// <summary>SHA-256 of the uploaded JSONL: tells a repeated submission from a different one after the dataset is gone.</summary>
    [Id(10)] public string? DatasetSha256 { get; set; }
    /// <summary>Re-activations after an unexpected error since the last checkpoint; the job fails past a bound, so
    /// a fault that recurs on every resume (a pass out of memory) cannot keep it Running forever.</summary>
    [Id(11)] public int Recoveries { get; set; }
    /// <summary>Records cut or dropped when the dataset was tokenised at submission (<see cref="JobStatus.DatasetWarning"/>).</summary>
    [Id(12)] public string? DatasetWarning { get; set; }
}

/// <summary>The uploaded JSONL, written once at submission and dropped when the job ends.</summary>
[GenerateSerializer, Alias("lora.AdapterDatasetState")]
public sealed class AdapterDatasetState
{
    [Id(0)] public string Jsonl { get; set; } = "";
}

/// <summary>The adapter's bytes: the resumable checkpoint while training, the PEFT files once finished.</summary>
[GenerateSerializer, Alias("lora.AdapterCheckpointState")]
public sealed class AdapterCheckpointState
{
    [Id(0)] public byte[]? Checkpoint { get; set; }
    [Id(1)] public byte[]? AdapterSafetensors { get; set; }
    [Id(2)] public string? AdapterConfig { get; set; }
}
