using System.Diagnostics;
using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>N jobs one after another, each alone in its own plain loop (one adapter per pass). Opening and
/// releasing a session is not timed; only its training steps are.</summary>
public sealed class SequentialMode(TrainingEngine engine)
{
    public async Task<ModeResult> RunAsync(IReadOnlyList<AdapterJob> jobs, int steps)
    {
        long tokens = 0;
        double seconds = 0;
        var losses = new List<double>();
        foreach (var job in jobs)
        {
            var session = await engine.OpenAsync(job);
            try
            {
                var start = Stopwatch.GetTimestamp();
                var (t, loss) = await ModeResult.StepLoop(engine, session, steps);
                seconds += ModeResult.Elapsed(start);
                tokens += t;
                losses.Add(loss);
            }
            finally { await engine.ReleaseAsync(session); }
        }
        return new ModeResult(tokens, seconds, losses);
    }
}
