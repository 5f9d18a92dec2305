using Lora.Training.Engine;

namespace Lora.Bench;

/// <summary>
/// Resident memory each open adapter adds: VmRSS before and after opening M sessions and stepping each once (so the
/// AdamW moments are live), after a full GC. Between steps an adapter holds its parameters and two moments; its
/// gradient exists only during a step (without gradient accumulation). The allocator is warmed first with a pass of
/// the same width, so the activation peak of the measured passes is not counted as adapter state.
/// </summary>
public sealed class MemoryProbe(TrainingEngine engine, BenchOptions options)
{
    public sealed record Result(long RssBefore, long RssAfter, int Adapters, long AdapterStateBytes)
    {
        public double BytesPerAdapter => (double)(RssAfter - RssBefore) / Adapters;
        public double RatioToState => BytesPerAdapter / AdapterStateBytes;
    }

    public async Task<Result> MeasureAsync()
    {
        var vocab = engine.Model.Config.VocabSize;
        var warm = SyntheticJobs.Jobs(engine.Options.MaxAdaptersPerStep, options.BatchSize, options.SeqLen, options.Rank, vocab);
        using (var passes = new PassRecorder(engine)) await new FusedMode(engine, passes).RunAsync(warm, 1);
        // The probe jobs' datasets are built before the first reading: they are the bench's, not adapter memory.
        var jobs = Enumerable.Range(1000, options.MemoryAdapters)
            .Select(i => SyntheticJobs.Job(i, options.BatchSize, options.SeqLen, options.Rank, vocab)).ToArray();
        var before = SettledRss();

        var sessions = new List<AdapterSession>();
        try
        {
            foreach (var job in jobs) sessions.Add(await engine.OpenAsync(job));
            await Task.WhenAll(sessions.Select(s => ModeResult.StepLoop(engine, s, 1)));
            var after = SettledRss();
            return new Result(before, after, sessions.Count, sessions[0].StateBytes);
        }
        finally
        {
            foreach (var s in sessions) await engine.ReleaseAsync(s);
        }
    }

    private static long SettledRss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        MallocTrim(0);   // hand freed heap back to the OS so RSS counts live memory, not allocator caches
        return VmRss();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    /// <summary>VmRSS of this process from /proc/self/status, in bytes.</summary>
    public static long VmRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]);
            return kb * 1024;
        }
        return -1;
    }
}
