using System.Collections.Concurrent;
using Lora.Training.Engine;
using static Lora.Training.Tests.Engine.EngineFixtures;

namespace Lora.Training.Tests.Engine;

/// <summary>The engine's promises to waiting jobs: per-pass caps hold, nobody starves, and admission is bounded by
/// the memory budget and the resident count, first come first served.</summary>
public sealed class SchedulingTests : IDisposable
{
    private readonly EngineWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    [Fact]
    public async Task With_more_adapters_waiting_than_a_pass_takes_every_one_keeps_pace_and_none_starves()
    {
        using var engine = _w.Engine(new EngineOptions { MaxAdaptersPerStep = 2 });
        var sessions = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => engine.OpenAsync(Job(i))));
        // Checked against the order requests were queued in, not against wall-clock pace: on a loaded machine a job's
        // next request can arrive late (its continuation waits for a pool thread) and the others rightly run ahead.
        // Every request gets a sequence number under `order`, held while StepAsync queues it, so numbers follow the
        // engine's queue order. One request per session is outstanding at a time (each loop awaits its step).
        var order = new object();
        var sequence = 0;
        var outstanding = new Dictionary<AdapterSession, (int Seq, int PassesBefore)>();
        var lastStep = sessions.ToDictionary(s => s, s => s.Step);
        var passes = 0;
        var sizes = new List<int>();
        var violations = new List<string>();
        var waits = new List<int>();
        // Runs on the compute thread right after each pass, when every step count is current.
        engine.PassCompleted += r =>
        {
            lock (order)
            {
                passes++;
                sizes.Add(r.Adapters);
                var stepped = sessions.Where(s => s.Step != lastStep[s]).ToList();
                foreach (var s in stepped) lastStep[s] = s.Step;
                if (stepped.Count != r.Adapters || stepped.Any(s => !outstanding.ContainsKey(s)))
                {
                    violations.Add($"pass {passes}: report says {r.Adapters} adapter(s), {stepped.Count} stepped");
                    return;
                }
                var newest = stepped.Max(s => outstanding[s].Seq);
                foreach (var s in stepped)
                {
                    waits.Add(passes - outstanding[s].PassesBefore);
                    outstanding.Remove(s);
                }
                // Oldest first: a request queued before one this pass took, and still waiting, was skipped.
                var skipped = outstanding.Values.Where(o => o.Seq < newest).Select(o => o.Seq).ToList();
                if (skipped.Count > 0) violations.Add($"pass {passes} took request #{newest} while older #{string.Join(", #", skipped)} waited");
            }
        };
        const int steps = 10;
        await Task.WhenAll(sessions.Select(s => Task.Run(async () =>
        {
            for (var k = 0; k < steps; k++)
            {
                Task<TrainingStepResult> step;
                lock (order)
                {
                    outstanding[s] = (sequence++, passes);
                    step = engine.StepAsync(s);
                }
                Assert.Null((await step).Failure);
            }
        })));

        Assert.All(sessions, s => Assert.Equal(steps, s.Step));
        Assert.All(sizes, n => Assert.InRange(n, 1, 2));
        Assert.True(sizes.Count >= 6 * steps / 2, $"{sizes.Count} passes for {6 * steps} steps of at most 2 adapters");
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        // Hence nobody starves: with at most 5 requests ahead, 2 per pass, a request completes in the 3rd pass that
        // starts after it was queued at the latest, plus the one that may already have been running (4 counted).
        Assert.True(waits.Max() <= 4, $"a request waited for {waits.Max()} passes: [{string.Join(",", waits)}]");
        foreach (var s in sessions) await engine.ReleaseAsync(s);
    }

    [Fact]
    public void A_request_too_large_for_the_room_left_in_a_pass_is_passed_over_by_newer_ones_once_at_most()
    {
        // 100 tokens a pass: the large request (4 × 16) fits beside no small one (3 × 16). An older one accumulates
        // over 4 passes and a small one asks again after each of its steps; skipping the large one every time they
        // fill the room would keep it waiting until the accumulation ends.
        var gathering = new PassGathering(new EngineOptions { MaxTokensPerStep = 100 }.Validate(), new object());
        AdapterSession Open(int i, int batch, int accumulation)
        {
            var job = Job(i) with { Training = Job(i).Training with { BatchSize = batch, GradientAccumulation = accumulation } };
            return AdapterSession.Open(job, new AdapterLayout(_w.Model.Config, job.Lora), null, TorchSharp.torch.CPU);
        }
        var sessions = new[] { Open(0, 3, 4), Open(1, 4, 1), Open(2, 3, 1) };
        var queued = new List<StepRequest>();
        void Enqueue(AdapterSession s) { queued.Add(new StepRequest(s)); gathering.Enqueue(queued[^1]); }
        foreach (var s in sessions) Enqueue(s);
        var large = queued[1];

        var passedOver = 0;
        for (var passes = 0; passes < 10; passes++)
        {
            var pass = gathering.Select();
            if (pass.Contains(large)) break;
            if (pass.Any(r => queued.IndexOf(r) > queued.IndexOf(large))) passedOver++;
            foreach (var r in pass) r.MicroBatchesDone++;
            var finished = pass.Where(r => r.MicroBatchesDone == r.MicroBatchesPerStep).ToList();
            gathering.PassEnded(pass, finished.Contains);
            foreach (var r in finished) Enqueue(r.Session);
        }
        Assert.True(large.InPass, "the large request never got into a pass");
        Assert.True(passedOver <= 1, $"newer requests went past the large one in {passedOver} passes");
        foreach (var s in sessions) s.Parameters.Dispose();
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
        var quiet = TimeSpan.FromSeconds(5);
        using var engine = _w.Engine(new EngineOptions
        {
            // Generous, so a loaded CI machine oversleeping the 100 ms below cannot end the quiet period early (the
            // test takes this long: the first pass waits it out after the second open).
            BurstQuietPeriod = quiet, BurstHoldLimit = TimeSpan.FromSeconds(30),
            // For the warm part: a pass that is ready goes right after one item, with no gathering window.
            MaxPassDelay = TimeSpan.Zero, GatherWindow = TimeSpan.Zero,
        });
        var first = await engine.OpenAsync(Job(0));
        var sinceOpen = System.Diagnostics.Stopwatch.StartNew();
        var firstStep = engine.StepAsync(first);
        await Task.Delay(100);
        Assert.False(firstStep.IsCompleted, $"the first pass did not wait for the burst to go quiet ({sinceOpen.ElapsedMilliseconds} ms after the open)");
        var second = await engine.OpenAsync(Job(1));
        var results = await Task.WhenAll(firstStep, engine.StepAsync(second));
        Assert.All(results, r => Assert.Equal((1, 2), (r.Step, r.FusedAdapters)));

        // Warm engine: a newcomer joins the next pass; the others do not wait for the quiet period again. Told by order,
        // not time: with the step and one more item queued behind the parked thread, a pass that is ready goes right
        // after the parking item (no delay allowed), before that item; one held for the quiet period would let it by.
        var third = await engine.OpenAsync(Job(2));
        var order = new ConcurrentQueue<string>();
        engine.PassCompleted += _ => order.Enqueue("pass");
        Task<TrainingStepResult> running;
        Task<bool> other;
        using (engine.Park())
        {
            running = engine.StepAsync(first);
            other = engine.RunAsync(() => { order.Enqueue("other work"); return true; });
        }
        await other.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(order.TryPeek(out var firstDone) && firstDone == "pass",
            $"a warm engine held a pass for an open: {string.Join(", ", order)} (quiet period {quiet.TotalSeconds:0} s)");
        Assert.Equal(2, (await running).Step);
        foreach (var s in new[] { first, second, third }) await engine.ReleaseAsync(s);
    }

    [Fact]
    public async Task A_steady_trickle_of_opens_holds_the_first_pass_no_longer_than_the_limit()
    {
        // Opens every ~100 ms, each well inside the 1 s quiet period of the one before, so only the 2 s limit can
        // release the first pass; the trickle goes on for 20 s, ten times the limit. (A test thread stalled for over
        // a second would let the quiet period release it instead, which passes; the longest gap is reported.)
        using var engine = _w.Engine(new EngineOptions
        {
            BurstQuietPeriod = TimeSpan.FromSeconds(1), BurstHoldLimit = TimeSpan.FromSeconds(2),
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();   // before the first open: the hold counts from it
        var sessions = new List<AdapterSession> { await engine.OpenAsync(Job(0)) };
        var lastOpen = clock.Elapsed;
        var longestGap = TimeSpan.Zero;
        var firstStep = engine.StepAsync(sessions[0]);
        // When the first step was seen done: never earlier than it was (load only makes this later).
        var firstDoneAt = firstStep.ContinueWith(_ => clock.Elapsed, TaskContinuationOptions.ExecuteSynchronously);
        while (!firstStep.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
            sessions.Add(await engine.OpenAsync(Job(sessions.Count)));
            longestGap = TimeSpan.FromTicks(Math.Max(longestGap.Ticks, (clock.Elapsed - lastOpen).Ticks));
            lastOpen = clock.Elapsed;
        }
        Assert.True(firstStep.IsCompleted,
            $"{sessions.Count} opens over {clock.Elapsed.TotalSeconds:0.0} s (longest gap {longestGap.TotalMilliseconds:0} ms) held the first pass past its 2 s limit");
        // And it was held: it cannot have run before the quiet period after the first open had passed (1 s).
        var doneAt = await firstDoneAt;
        Assert.True(doneAt >= TimeSpan.FromSeconds(0.9), $"the first pass was done {doneAt.TotalMilliseconds:0} ms after the first open, within its 1 s quiet period");
        foreach (var s in sessions) await engine.ReleaseAsync(s);
    }
}
