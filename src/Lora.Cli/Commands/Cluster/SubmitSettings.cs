using Lora.Abstractions;
using Lora.Client;

namespace Lora.Cli.Commands.Cluster;

/// <summary>What `lora submit` was given; null means "not given", so defaults live in one place: <see cref="JobSpec"/>.</summary>
public sealed record SubmitSettings
{
    public required string BaseModel { get; init; }
    public required string DataFile { get; init; }
    public string? JobId { get; init; }
    public int? Rank { get; init; }
    public double? Alpha { get; init; }
    public double? Dropout { get; init; }
    public string? Targets { get; init; }
    public bool? RsLora { get; init; }
    public double? LearningRate { get; init; }
    public int? Steps { get; init; }
    public int? BatchSize { get; init; }
    public int? SeqLen { get; init; }
    public long? Seed { get; init; }
    public int? WarmupSteps { get; init; }
    public string? Schedule { get; init; }
    public double? EvalFraction { get; init; }
    public int? GradientAccumulation { get; init; }
    public int? CheckpointEvery { get; init; }
    public double? CheckpointEverySeconds { get; init; }
    public double? WeightDecay { get; init; }
    public double? MaxGradNorm { get; init; }

    /// <summary>The job spec (with a fresh id when none was given). Range checks stay on the silo, which names the
    /// field; only what the client itself needs (ids, targets) is checked here.</summary>
    public JobSpec ToSpec()
    {
        var d = new JobSpec { JobId = JobId ?? "", BaseModel = BaseModel };
        var spec = d with
        {
            Rank = Rank ?? d.Rank,
            Alpha = Alpha ?? d.Alpha,
            Dropout = Dropout ?? d.Dropout,
            Targets = Targets is null ? d.Targets : ParseTargets(Targets),
            UseRsLora = RsLora ?? d.UseRsLora,
            LearningRate = LearningRate ?? d.LearningRate,
            Steps = Steps ?? d.Steps,
            BatchSize = BatchSize ?? d.BatchSize,
            SeqLen = SeqLen ?? d.SeqLen,
            Seed = Seed ?? d.Seed,
            WarmupSteps = WarmupSteps ?? d.WarmupSteps,
            Schedule = Schedule ?? d.Schedule,
            EvalFraction = EvalFraction ?? d.EvalFraction,
            GradientAccumulation = GradientAccumulation ?? d.GradientAccumulation,
            CheckpointEverySteps = CheckpointEvery ?? d.CheckpointEverySteps,
            CheckpointEverySeconds = CheckpointEverySeconds ?? d.CheckpointEverySeconds,
            WeightDecay = WeightDecay ?? d.WeightDecay,
            MaxGradNorm = MaxGradNorm ?? d.MaxGradNorm,
            DatasetName = Path.GetFileName(DataFile),
        };
        return JobIds.Ensure(spec);
    }

    /// <summary>"q_proj, v_proj" → ["q_proj", "v_proj"]; blanks and duplicates dropped, order kept.</summary>
    public static string[] ParseTargets(string text)
    {
        var targets = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        return targets.Length > 0 ? targets : throw new LoraClientException("--targets needs at least one module name (e.g. q_proj,v_proj).");
    }
}
