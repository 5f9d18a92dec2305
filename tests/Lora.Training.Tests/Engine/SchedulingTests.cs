using System.Collections.Concurrent;
using Lora.Training.Engine;
using Lora.Training.Lora;

namespace Lora.Training.Tests.Engine;

/// <summary>The engine's promises to waiting jobs: per-pass caps hold, nobody starves, and admission is bounded by
/// the memory budget and the resident count, first come first served.</summary>
public sealed class SchedulingTests : IDisposable
{
    private readonly EngineWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    private static AdapterJob Job(int i) => new($"job-{i}",
        new LoraSettings { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = i },
        new TrainingSettings { LearningRate = 1e-3, BatchSize = 4, SeqLen = 16, Steps = 1000, EvalFraction = 0, Seed = i },
        EngineFixtures.Examples(8, 16, i), []);

    [Fact]
    public async Task With_more_adapters_waiting_than_a_pass_takes_every_one_keeps_pace_and_none_starves()
    {
        using var engine = _w.Engine(new EngineOptions { MaxAdaptersPerStep = 2 });
        var sessions = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => engine.OpenAsync(Job(i))));
        var sizes = new ConcurrentQueue<int>();
        var spreads = new ConcurrentQueue<int>();
        // Runs on the compute thread right after each pass, when every step count is current.
        engine.PassCompleted += r =>
        {
            sizes.Enqueue(r.Adapters);
            spreads.Enqueue(sessions.Max(s => s.Step) - sessions.Min(s => s.Step));
        };
        const int steps = 10;
        await Task.WhenAll(sessions.Select(async s =>
        {
            for (var k = 0; k < steps; k++) Assert.Null((await engine.StepAsync(s)).Failure);
        }));

        Assert.All(sessions, s => Assert.Equal(steps, s.Step));
        Assert.All(sizes, n => Assert.InRange(n, 1, 2));
        Assert.True(sizes.Count >= 6 * steps / 2, $"{sizes.Count} passes for {6 * steps} steps of at most 2 adapters");
        // Oldest request first keeps step counts within one rotation (3 passes) of each other; a scheduler that
        // served the freshest requests first would let two adapters finish while the others had not started.
        Assert.True(spreads.Max() <= 2, $"step counts spread up to {spreads.Max()} apart: [{string.Join(",", spreads)}]");
        foreach (var s in sessions) await engine.ReleaseAsync(s);
    }

    [Fact]
    public async Task Adapters_beyond_the_memory_budget_wait_until_one_is_released()
    {
        var stateBytes = 4L * new AdapterLayout(_w.Model.Config, Job(0).Lora).Size * sizeof(float);
        using var engine = _w.Engine(new EngineOptions { MemoryBudgetBytes = 2 * stateBytes + stateBytes / 2 });
        var first = await engine.OpenAsync(Job(0));
        var second = await engine.OpenAsync(Job(1));
        var third = engine.OpenAsync(Job(2));
        await Task.Delay(300);
        Assert.False(third.IsCompleted, "a third adapter was admitted past a budget of two and a half");
        Assert.Equal((2, 1), (engine.Admission.Resident, engine.Admission.Waiting));
        Assert.Equal(2 * stateBytes, engine.Admission.UsedBytes);

        await engine.ReleaseAsync(first);
        var admitted = await third.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((2, 0), (engine.Admission.Resident, engine.Admission.Waiting));
        Assert.Null((await engine.StepAsync(admitted)).Failure);
        await engine.ReleaseAsync(second);
        await engine.ReleaseAsync(admitted);
        Assert.Equal(0, engine.Admission.UsedBytes);
    }

    [Fact]
    public async Task A_waiting_open_can_be_cancelled_and_leaves_the_queue()
    {
        using var engine = _w.Engine(new EngineOptions { MaxResidentAdapters = 1 });
        var resident = await engine.OpenAsync(Job(0));
        using var cancel = new CancellationTokenSource();
        var waiting = engine.OpenAsync(Job(1), cancellationToken: cancel.Token);
        await Task.Delay(100);
        Assert.Equal(1, engine.Admission.Waiting);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal((1, 0), (engine.Admission.Resident, engine.Admission.Waiting));
        await engine.ReleaseAsync(resident);
    }

    [Fact]
    public async Task Admission_is_first_come_first_served_so_a_small_job_cannot_jump_a_large_one()
    {
        var gate = new AdmissionGate(budgetBytes: 100, maxAdapters: 10);
        await gate.AdmitAsync(60, CancellationToken.None);
        var large = gate.AdmitAsync(70, CancellationToken.None);   // does not fit next to 60
        var small = gate.AdmitAsync(30, CancellationToken.None);   // would fit, but arrived later
        await Task.Delay(100);
        Assert.False(small.IsCompleted, "a later small request jumped an earlier large one");
        gate.Release(60);
        await large.WaitAsync(TimeSpan.FromSeconds(10));
        await small.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(100, gate.UsedBytes);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => gate.AdmitAsync(101, CancellationToken.None));
        Assert.Contains("101 bytes exceeds the engine's whole memory budget of 100 bytes", e.Message);
    }

    [Fact]
    public async Task A_burst_of_opens_into_an_idle_engine_trains_together_from_its_first_pass()
    {
        // The second adapter opens 100 ms after the first has asked to step: without the hold the first pass runs
        // alone after the 5 ms gathering window and the second stays one pass behind to the end.
        using var engine = _w.Engine(new EngineOptions
        {
            // Generous, so a loaded CI machine oversleeping the 100 ms below cannot end the quiet period early.
            BurstQuietPeriod = TimeSpan.FromSeconds(2), BurstHoldLimit = TimeSpan.FromSeconds(10),
        });
        var first = await engine.OpenAsync(Job(0));
        var firstStep = engine.StepAsync(first);
        await Task.Delay(100);
        Assert.False(firstStep.IsCompleted, "the first pass did not wait for the burst to go quiet");
        var second = await engine.OpenAsync(Job(1));
        var results = await Task.WhenAll(firstStep, engine.StepAsync(second));
        Assert.All(results, r => Assert.Equal((1, 2), (r.Step, r.FusedAdapters)));

        // Warm engine: a newcomer joins the next pass; the others do not wait for the quiet period again.
        var third = await engine.OpenAsync(Job(2));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var running = await engine.StepAsync(first);
        Assert.True(clock.ElapsedMilliseconds < 2000, $"a warm engine held a pass {clock.ElapsedMilliseconds} ms for an open");
        Assert.Equal(2, running.Step);
        foreach (var s in new[] { first, second, third }) await engine.ReleaseAsync(s);
    }

    [Fact]
    public async Task A_steady_trickle_of_opens_holds_the_first_pass_no_longer_than_the_limit()
    {
        using var engine = _w.Engine(new EngineOptions
        {
            BurstQuietPeriod = TimeSpan.FromMilliseconds(150), BurstHoldLimit = TimeSpan.FromMilliseconds(300),
        });
        var sessions = new List<AdapterSession> { await engine.OpenAsync(Job(0)) };
        var firstStep = engine.StepAsync(sessions[0]);
        for (var i = 1; i <= 12 && !firstStep.IsCompleted; i++)
        {
            await Task.Delay(100);   // every open inside the quiet period of the one before
            sessions.Add(await engine.OpenAsync(Job(i)));
        }
        Assert.True(firstStep.IsCompleted, "opens every 100 ms held the first pass past its 300 ms limit for 1.2 s");
        Assert.InRange(sessions.Count, 2, 8);
        foreach (var s in sessions) await engine.ReleaseAsync(s);
    }
}
