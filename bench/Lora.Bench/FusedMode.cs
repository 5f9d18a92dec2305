using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>N jobs at once through the fused engine: N tasks, each awaiting StepAsync in its own loop, so the
/// engine gathers their requests into shared passes exactly as concurrent grains would.</summary>
public sealed class FusedMode(TrainingEngine engine, PassRecorder passes)
{
    public async Task<ModeResult> RunAsync(IReadOnlyList<AdapterJob> jobs, int steps)
    {
        var sessions = new List<AdapterSession>();
        try
        {
            foreach (var job in jobs) sessions.Add(await engine.OpenAsync(job));
            passes.Clear();
            var results = await Task.WhenAll(sessions.Select(s => ModeResult.StepLoop(engine, s, steps)));
            var seconds = passes.TrainingSeconds();
            return new ModeResult(results.Sum(r => r.Tokens), seconds, results.Select(r => r.Loss).ToArray(), passes.MeanAdapters,
                passes.BusySeconds);
        }
        finally
        {
            foreach (var s in sessions) await engine.ReleaseAsync(s);
        }
    }
}
