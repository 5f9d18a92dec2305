using Lora.Training.Engine;
using static Lora.Training.Tests.Engine.EngineFixtures;

namespace Lora.Training.Tests.Engine;

/// <summary>Passes and the other work on the compute thread (generate, evaluate, checkpoint…) share it: a backlog
/// of either cannot starve the other, and no single generation can hold it for long.</summary>
public sealed class WorkInterleavingTests : IDisposable
{
    private readonly EngineWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    [Fact]
    public async Task A_backlog_of_generations_holds_a_gathered_pass_back_no_longer_than_allowed()
    {
        // No delay allowed: the pass goes as soon as one item has run since the last pass (it used to wait for all).
        using var engine = _w.Engine(new EngineOptions { BurstQuietPeriod = TimeSpan.Zero, MaxPassDelay = TimeSpan.Zero });
        var session = await engine.OpenAsync(Job(0));
        var generations = Enumerable.Range(0, 12).Select(_ => engine.GenerateAsync(null, "ab", maxNewTokens: 1)).ToList();
        var doneAtPass = -1;
        engine.PassCompleted += _ => { if (doneAtPass < 0) doneAtPass = generations.Count(g => g.IsCompleted); };
        await engine.StepAsync(session);
        Assert.True(doneAtPass < generations.Count / 2, $"the pass waited for {doneAtPass} of {generations.Count} queued generations");
        await Task.WhenAll(generations);
        await engine.ReleaseAsync(session);
    }

    [Fact]
    public async Task Back_to_back_passes_leave_room_for_other_work_between_them()
    {
        using var engine = _w.Engine(new EngineOptions { BurstQuietPeriod = TimeSpan.Zero, MaxPassDelay = TimeSpan.Zero });
        var session = await engine.OpenAsync(Job(0));
        using var stop = new CancellationTokenSource();
        var trainer = Task.Run(async () => { while (!stop.IsCancellationRequested) await engine.StepAsync(session); });
        for (var i = 0; i < 5; i++) await engine.GenerateAsync(null, "ab", maxNewTokens: 2).WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await trainer;
        Assert.True(session.Step > 0, "the trainer never stepped");
        await engine.ReleaseAsync(session);
    }

    [Fact]
    public async Task A_generation_asking_for_more_tokens_than_the_engine_allows_gets_the_engine_cap()
    {
        using var engine = _w.Engine(new EngineOptions { MaxNewTokens = 3 });
        var capped = await engine.GenerateAsync(null, "ab", maxNewTokens: 1000);
        Assert.Equal(TextGenerator.Generate(_w.Model, _w.Tokenizer, null, "ab", 3), capped);
        Assert.NotEqual(TextGenerator.Generate(_w.Model, _w.Tokenizer, null, "ab", 1000), capped);   // the cap did bite
    }
}
