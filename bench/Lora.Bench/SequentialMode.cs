using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>N jobs one after another, each alone in its own plain loop (one adapter per pass). Opening and
/// releasing a session is not timed; only its training steps are, from its first pass on.</summary>
public sealed class SequentialMode(TrainingEngine engine, PassRecorder passes)
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
                passes.Clear();
                var (t, loss) = await ModeResult.StepLoop(engine, session, steps);
                seconds += passes.TrainingSeconds();
                tokens += t;
                losses.Add(loss);
            }
            finally { await engine.ReleaseAsync(session); }
        }
        return new ModeResult(tokens, seconds, losses);
    }
}
