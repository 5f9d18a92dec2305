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
        List<Task<string>> generations;
        Task<TrainingStepResult> step;
        var doneAtPass = -1;
        // Everything is queued behind the parked thread before it chooses: the parking item is the one item that has
        // run, so the pass must go next, before any of the generations.
        using (engine.Park())
        {
            generations = Enumerable.Range(0, 12).Select(_ => engine.GenerateAsync(null, "ab", maxNewTokens: 1)).ToList();
            engine.PassCompleted += _ => { if (doneAtPass < 0) doneAtPass = generations.Count(g => g.IsCompleted); };
            step = engine.StepAsync(session);
        }
        await step;
        Assert.True(doneAtPass == 0, $"the pass waited for {doneAtPass} of {generations.Count} queued generations");
        await Task.WhenAll(generations);
        await engine.ReleaseAsync(session);
    }

    [Fact]
    public async Task Back_to_back_passes_leave_room_for_other_work_between_them()
    {
        // Two micro-batches per step: the step's request is still queued when its first pass ends, so the second pass
        // is ready at once, back to back with the first. Work queued meanwhile must run between the two.
        using var engine = _w.Engine(new EngineOptions { BurstQuietPeriod = TimeSpan.Zero, MaxPassDelay = TimeSpan.Zero });
        var session = await engine.OpenAsync(Job(0, batch: 2, accumulation: 2));
        Assert.Equal(1, (await engine.StepAsync(session)).Step);   // the engine is warm and the session trains
        Task<string>? generation = null;
        var generatedAtPass = new List<bool>();
        engine.PassCompleted += _ => generatedAtPass.Add(generation!.IsCompleted);
        for (var round = 0; round < 3; round++)
        {
            generatedAtPass.Clear();
            Task<TrainingStepResult> step;
            using (engine.Park())
            {
                step = engine.StepAsync(session);
                generation = engine.GenerateAsync(null, "ab", maxNewTokens: 2);
            }
            Assert.Equal(round + 2, (await step.WaitAsync(TimeSpan.FromMinutes(2))).Step);
            await generation;
            // The first pass goes right after the parking item (one item ran since the last pass, no delay allowed),
            // then the generation, then the second pass.
            Assert.Equal([false, true], generatedAtPass);
        }
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
