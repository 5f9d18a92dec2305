namespace Lora.Abstractions;

/// <summary>A snapshot of a job: what `lora status --json` prints.</summary>
[GenerateSerializer, Immutable, Alias("lora.JobStatus")]
public sealed record JobStatus
{
    [Id(0)] public required string JobId { get; init; }
    [Id(1)] public required string BaseModel { get; init; }
    [Id(2)] public JobState State { get; init; }
    [Id(3)] public int Step { get; init; }
    [Id(4)] public int TotalSteps { get; init; }
    [Id(5)] public double? TrainLoss { get; init; }
    [Id(6)] public double? EvalLoss { get; init; }
    /// <summary>Eval loss of the bare base before training: the "before" of before/after.</summary>
    [Id(7)] public double? BaseEvalLoss { get; init; }
    [Id(8)] public double TokensPerSecond { get; init; }
    [Id(9)] public string? Error { get; init; }
    [Id(10)] public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Silo currently running the job, for operators.</summary>
    [Id(11)] public string? Silo { get; init; }
    /// <summary>What the silo had to do to the dataset that changes what trains: prompt/completion records cut to
    /// the sequence length or dropped for lack of a completion token. Null when every record trains whole.</summary>
    [Id(12)] public string? DatasetWarning { get; init; }

    public bool IsFinal => State is JobState.Completed or JobState.Failed or JobState.Canceled;
}
