namespace Lora.Abstractions;

/// <summary>
/// A training job as a client submits it: which base model, the adapter's shape (PEFT LoraConfig fields) and
/// the optimisation. The dataset travels separately, in chunks. Validated by the silo; every error names the field.
/// </summary>
[GenerateSerializer, Immutable, Alias("lora.JobSpec")]
public sealed record JobSpec
{
    [Id(0)] public required string JobId { get; init; }
    [Id(1)] public required string BaseModel { get; init; }
    [Id(2)] public int Rank { get; init; } = 8;
    [Id(3)] public double Alpha { get; init; } = 16;
    [Id(4)] public double Dropout { get; init; }
    [Id(5)] public string[] Targets { get; init; } = ["q_proj", "v_proj"];
    [Id(6)] public bool UseRsLora { get; init; }
    [Id(7)] public double LearningRate { get; init; } = 1e-3;
    [Id(8)] public int Steps { get; init; } = 100;
    [Id(9)] public int BatchSize { get; init; } = 8;
    [Id(10)] public int SeqLen { get; init; } = 128;
    [Id(11)] public long Seed { get; init; }
    [Id(12)] public int WarmupSteps { get; init; }
    [Id(13)] public string Schedule { get; init; } = "cosine";
    [Id(14)] public double EvalFraction { get; init; } = 0.1;
    [Id(15)] public int GradientAccumulation { get; init; } = 1;
    /// <summary>Checkpoint every N steps (and always at the end).</summary>
    [Id(16)] public int CheckpointEverySteps { get; init; } = 20;
    [Id(17)] public double WeightDecay { get; init; }
    [Id(18)] public double MaxGradNorm { get; init; } = 1.0;
    [Id(19)] public string DatasetName { get; init; } = "dataset.jsonl";
    /// <summary>Also checkpoint when this many seconds passed since the last one (0 disables), so slow steps cannot
    /// put hours of work between checkpoints.</summary>
    [Id(20)] public double CheckpointEverySeconds { get; init; } = 300;

    /// <summary>Grain key: the base model travels in the key so placement can honour it without a request context.</summary>
    public string GrainKey => AdapterKeys.For(BaseModel, JobId);

    /// <summary>Equality that ignores array identity (records compare arrays by reference).</summary>
    public bool SameAs(JobSpec other) =>
        this with { Targets = [] } == other with { Targets = [] } && Targets.SequenceEqual(other.Targets);
}
