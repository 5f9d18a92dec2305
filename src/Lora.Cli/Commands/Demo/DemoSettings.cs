using Lora.Abstractions;

namespace Lora.Cli.Commands.Demo;

/// <summary>What one `lora demo` run does: how many jobs, how long they train, where output goes, which ports the
/// embedded silo opens. The hyperparameters are the ones that visibly taught the built-in base (models/builtin-tiny/README.md).</summary>
public sealed record DemoSettings
{
    public const string BaseModelId = "builtin-tiny";
    /// <summary>Cluster and service ids of the embedded silo: distinct from the development defaults so a client of the
    /// demo can never join, or be joined by, a silo the user runs on the same machine.</summary>
    public const string ClusterId = "lora-demo";
    public const string ServiceId = "lora-demo";
    public const int DefaultJobs = 8;
    /// <summary>8 jobs × 600 steps of batch 8 fit in about 2–3 minutes on a 2-core CPU and reach exact answers on the easier tasks.</summary>
    public const int DefaultSteps = 600;
    public const string DefaultOut = "out/demo";
    /// <summary>Held-out prompts per job scored by exact match of a greedy generation.</summary>
    public const int HeldOutPrompts = 10;
    /// <summary>Every answer is ≤ 8 bytes; a few more tokens show whether the adapter learned to stop.</summary>
    public const int MaxNewTokens = 12;

    public int Jobs { get; init; } = DefaultJobs;
    public int Steps { get; init; } = DefaultSteps;
    public string Out { get; init; } = DefaultOut;
    /// <summary>0 = pick a free port when the demo starts.</summary>
    public int GatewayPort { get; init; }
    public int SiloPort { get; init; }
    public bool Json { get; init; }

    public DemoSettings Validate()
    {
        if (Jobs < 1) throw new ArgumentOutOfRangeException(nameof(Jobs), Jobs, "--jobs must be at least 1");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "--steps must be at least 1");
        if (GatewayPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(GatewayPort), GatewayPort, "--gateway-port must be 0-65535");
        if (SiloPort is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(SiloPort), SiloPort, "--silo-port must be 0-65535");
        if (GatewayPort != 0 && GatewayPort == SiloPort) throw new ArgumentException("--gateway-port and --silo-port must differ");
        if (string.IsNullOrWhiteSpace(Out)) throw new ArgumentException("--out must name a directory");
        return this;
    }

    /// <summary>The job for one planned task: rank 8 on every linear layer, lr 5e-3, seq 48 is what made `upper` and `sort`
    /// exact on this base. Batch 8 rather than 16: a fused pass costs about its rows, so for the same time twice the
    /// optimizer steps learned clearly more (measured, 5 tasks: upper 7/10 vs 0/10, sort eval loss 1.11 vs 1.19);
    /// lr 1e-2 was worse at batch 16. A short warmup keeps the first fused steps from overshooting.</summary>
    public JobSpec SpecFor(DemoJobPlan plan) => new()
    {
        JobId = plan.JobId,
        BaseModel = BaseModelId,
        Rank = 8,
        Alpha = 16,
        Targets = ["all-linear"],
        LearningRate = 5e-3,
        Steps = Steps,
        BatchSize = 8,
        SeqLen = 48,
        WarmupSteps = Math.Min(20, Steps / 10),
        Seed = plan.Seed,
        // The embedded silo lives only as long as this process (in-memory reminders), so checkpoints could never be
        // resumed from; one at most keeps file writes off the training path.
        CheckpointEverySteps = Math.Max(1, Steps),
        DatasetName = plan.Task.Name + ".jsonl",
    };
}
