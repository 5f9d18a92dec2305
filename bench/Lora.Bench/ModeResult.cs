using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>Trained tokens, the wall time they took, and each job's last training loss.</summary>
public sealed record ModeResult(long Tokens, double Seconds, IReadOnlyList<double> FinalLosses, double MeanPassSize = double.NaN,
    double BusySeconds = double.NaN)
{
    public double TokensPerSecond => Tokens / Seconds;
    /// <summary>Share of the wall time the engine's compute thread was inside a pass.</summary>
    public double BusyFraction => BusySeconds / Seconds;

    /// <summary>Steps one open session <paramref name="steps"/> times through the engine; returns tokens and last loss.</summary>
    public static async Task<(long Tokens, double Loss)> StepLoop(TrainingEngine engine, AdapterSession session, int steps)
    {
        long tokens = 0;
        double loss = double.NaN;
        for (int s = 0; s < steps; s++)
        {
            var r = await engine.StepAsync(session);
            if (r.Failure is not null) throw new InvalidOperationException($"{session.JobId}: {r.Failure}");
            tokens += r.Tokens;
            loss = r.Loss;
        }
        return (tokens, loss);
    }
}
