using Lora.Training.Engine;
using static Lora.Training.Tests.Engine.EngineFixtures;

namespace Lora.Training.Tests.Engine;

/// <summary>The engine under misuse and races: cancels, releases and disposal at awkward moments never strand a
/// caller, corrupt an adapter or stop the compute thread; oversized jobs and damaged checkpoints are refused clearly.</summary>
public sealed class EngineRobustnessTests : IDisposable
{
    private readonly EngineWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    private static EngineOptions NoHold => new() { BurstQuietPeriod = TimeSpan.Zero };

    [Fact]
    public async Task A_cancelled_waiter_at_the_head_of_admission_lets_the_ones_behind_it_in()
    {
        var gate = new AdmissionGate(budgetBytes: 100, maxAdapters: 10);
        await gate.AdmitAsync(60, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var large = gate.AdmitAsync(70, cancel.Token);   // does not fit, and holds the queue in order
        var small = gate.AdmitAsync(30, CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => large);
        await small.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(90, gate.UsedBytes);
    }

    [Fact]
    public async Task A_step_cancelled_while_its_pass_may_be_running_either_completes_or_leaves_the_adapter_untouched()
    {
        using var engine = _w.Engine(NoHold);
        for (var delayMs = 0; delayMs <= 40; delayMs += 10)
        {
            var session = await engine.OpenAsync(Job(delayMs, batch: 64));
            var before = await engine.CheckpointAsync(session);
            using var cancel = new CancellationTokenSource();
            var step = engine.StepAsync(session, cancel.Token);
            await Task.Delay(delayMs);
            await cancel.CancelAsync();
            var canceled = false;
            try { await step; }
            catch (OperationCanceledException) { canceled = true; }
            var after = await engine.CheckpointAsync(session);
            if (canceled)
                Assert.True(after.Step == 0 && after.Cursor == before.Cursor && after.Flat.SequenceEqual(before.Flat),
                    $"cancel after {delayMs} ms reported the step cancelled, yet the adapter moved to step {after.Step}");
            else Assert.Equal(1, after.Step);
            await engine.ReleaseAsync(session);
        }
    }

    /// <summary>A silo runs job after job for weeks: any path of a job's life (steps, eval, checkpoint, resume, PEFT
    /// export, generation, release) that left one native tensor behind would grow its memory without bound.</summary>
    [Fact]
    public async Task A_whole_job_lifecycle_leaves_no_native_tensor_behind_on_the_compute_thread()
    {
        using var engine = _w.Engine(NoHold);
        async Task Lifecycle(int i)
        {
            var job = Job(i) with { Eval = EngineFixtures.Examples(4, 16, 100 + i) };
            var session = await engine.OpenAsync(job);
            for (var s = 0; s < 3; s++) await engine.StepAsync(session);
            await engine.EvaluateAsync(session, job.Eval);
            await engine.EvaluateAsync(null, job.Eval);
            var checkpoint = await engine.CheckpointAsync(session);
            var (safetensors, config) = await engine.ExportPeftAsync(session, "tiny");
            await engine.ReleaseAsync(session);
            await engine.GenerateAsync(safetensors, config, "ab", maxNewTokens: 4);
            var resumed = await engine.OpenAsync(job, checkpoint);
            await engine.StepAsync(resumed);
            await engine.ReleaseAsync(resumed);
        }
        long Live() => TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        await Lifecycle(0);   // tables built once per engine (rotary cos/sin) are not leaks
        var before = await engine.RunAsync(Live);
        for (var i = 1; i <= 3; i++) await Lifecycle(i);
        var after = await engine.RunAsync(Live);
        Assert.True(after <= before, $"{after - before} native tensors more on the compute thread after three more job lifecycles");
    }

    [Fact]
    public async Task Gradient_accumulation_frees_each_steps_accumulated_gradient()
    {
        using var engine = _w.Engine(NoHold);
        var session = await engine.OpenAsync(Job(1, accumulation: 2));
        await engine.StepAsync(session);
        var before = await engine.RunAsync(() => TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        for (var i = 0; i < 20; i++) await engine.StepAsync(session);
        var after = await engine.RunAsync(() => TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.True(after <= before, $"{after - before} native tensors more on the compute thread after 20 accumulated steps");
        await engine.ReleaseAsync(session);
    }

    [Fact]
    public async Task Steps_after_release_or_disposal_are_refused_and_work_queued_before_disposal_never_hangs()
    {
        var engine = _w.Engine(NoHold);
        var released = await engine.OpenAsync(Job(2));
        var kept = await engine.OpenAsync(Job(3));
        await engine.ReleaseAsync(released);
        Assert.Throws<ObjectDisposedException>(() => { _ = engine.StepAsync(released); });

        var queued = Enumerable.Range(0, 20).Select(_ => engine.CheckpointAsync(kept)).ToList();
        engine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = engine.StepAsync(kept); });
        foreach (var work in queued)
        {
            var finished = await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(10))) == work;
            Assert.True(finished, "work queued just before Dispose never completed");
            Assert.True(work.IsCompletedSuccessfully || work.Exception?.InnerException is ObjectDisposedException, $"{work.Exception}");
        }
    }

    [Fact]
    public async Task A_throwing_pass_observer_does_not_stop_the_engine()
    {
        using var engine = _w.Engine(NoHold);
        engine.PassCompleted += _ => throw new InvalidOperationException("observer bug");
        var session = await engine.OpenAsync(Job(4));
        for (var i = 1; i <= 3; i++) Assert.Equal(i, (await engine.StepAsync(session).WaitAsync(TimeSpan.FromSeconds(30))).Step);
        await engine.ReleaseAsync(session);
    }

    [Fact]
    public async Task A_job_whose_micro_batch_exceeds_the_pass_token_limit_is_refused_naming_the_fields()
    {
        using var engine = _w.Engine(new EngineOptions { MaxTokensPerStep = 32 });
        var e = await Assert.ThrowsAsync<ArgumentException>(() => engine.OpenAsync(Job(5, batch: 4)));   // 4 × 16 = 64 tokens
        Assert.Contains("'batch_size' × 'seq_len' = 4 × 16 = 64 tokens", e.Message);
        Assert.Contains("max_tokens_per_step", e.Message);
        Assert.Equal(0, engine.Admission.Resident);
    }

    [Fact]
    public void A_wait_option_too_long_for_the_engine_clock_is_refused_naming_it()
    {
        // 30 days once reached Monitor.Wait on the compute thread, which throws past 24.8 days and took the process down.
        var e = Assert.Throws<ArgumentException>(() => new EngineOptions { GatherWindow = TimeSpan.FromDays(30) }.Validate());
        Assert.Contains("'gather_window'", e.Message);
        Assert.Throws<ArgumentException>(() => new EngineOptions { BurstHoldLimit = TimeSpan.MaxValue }.Validate());
    }

    [Fact]
    public async Task A_checkpoint_with_a_damaged_generator_state_is_refused_as_corrupt()
    {
        using var engine = _w.Engine(NoHold);
        var session = await engine.OpenAsync(Job(6));
        await engine.StepAsync(session);
        var good = await engine.CheckpointAsync(session);
        await engine.ReleaseAsync(session);
        var damaged = good with { GeneratorState = good.GeneratorState[..7] };
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => engine.OpenAsync(Job(6), AdapterCheckpoint.FromBytes(damaged.ToBytes())));
        Assert.Contains("generator state", e.Message);
        Assert.Equal(0, engine.Admission.Resident);
    }
}
