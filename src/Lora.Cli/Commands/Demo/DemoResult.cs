using Lora.Abstractions;

namespace Lora.Cli.Commands.Demo;

/// <summary>What the demo measured for one job; the table row and the --json element are both built from it.</summary>
public sealed record DemoJobResult
{
    public required string Task { get; init; }
    public required string JobId { get; init; }
    public required JobState State { get; init; }
    public string? Error { get; init; }
    public int Step { get; init; }
    public int TotalSteps { get; init; }
    public double? BaseEvalLoss { get; init; }
    public double? FinalEvalLoss { get; init; }
    public int HeldOut { get; init; }
    public int Correct { get; init; }
    public string? SamplePrompt { get; init; }
    public string? SampleGeneration { get; init; }
    public bool SampleCorrect { get; init; }
    public string? AdapterDir { get; init; }
    public required string DatasetSource { get; init; }
}

/// <summary>The whole run.</summary>
public sealed record DemoResult(string BaseModel, string Gateway, int Steps, string OutDir, double TrainSeconds, double TotalSeconds,
    IReadOnlyList<DemoJobResult> Jobs)
{
    /// <summary>The CLI's one error line when some job did not complete, else null.</summary>
    public string? Problem()
    {
        var bad = Jobs.Where(j => j.State != JobState.Completed)
            .Select(j => j.Error is { Length: > 0 } e ? $"{j.JobId} {j.State} ({e})" : $"{j.JobId} {j.State}").ToList();
        return bad.Count == 0 ? null : $"did not complete: {string.Join("; ", bad)}";
    }

    /// <summary>The --json shape: camelCase, state as its name, NaN-free.</summary>
    public object ToJson() => new
    {
        baseModel = BaseModel, gateway = Gateway, steps = Steps, @out = OutDir, trainSeconds = TrainSeconds, totalSeconds = TotalSeconds,
        jobs = Jobs.Select(j => new
        {
            task = j.Task, jobId = j.JobId, state = j.State.ToString(), error = j.Error, step = j.Step, totalSteps = j.TotalSteps,
            baseEvalLoss = j.BaseEvalLoss, finalEvalLoss = j.FinalEvalLoss,
            heldOut = j.HeldOut, correct = j.Correct, accuracy = j.HeldOut == 0 ? (double?)null : (double)j.Correct / j.HeldOut,
            samplePrompt = j.SamplePrompt, sampleGeneration = j.SampleGeneration, sampleCorrect = j.SampleCorrect,
            adapterDir = j.AdapterDir, dataset = j.DatasetSource,
        }),
    };
}
