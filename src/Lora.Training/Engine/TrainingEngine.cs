using System.Diagnostics;
using Lora.Training.Data;
using Lora.Training.Lora;
using Lora.Training.Model;
using Lora.Training.Optim;
using Lora.Training.Peft;
using Lora.Training.Tokenization;

namespace Lora.Training.Engine;

/// <summary>
/// One per silo: holds the frozen base and runs all tensor work on its own compute thread, never on a caller's
/// (TorchSharp dispose scopes and grad mode are thread-bound; long turns would stall the Orleans scheduler).
/// Step requests from many adapters are gathered for a short window and executed as one fused pass; other work
/// (open, evaluate, checkpoint, generate) runs between passes, for a bounded time once a pass is ready
/// (<see cref="EngineOptions.MaxPassDelay"/>).
/// </summary>
public sealed class TrainingEngine : IDisposable
{
    private readonly object _lock = new();   // Monitor.Wait/Pulse need an object lock
    /// <summary>Work between passes; Fail completes an item the engine will never run (it was disposed first).</summary>
    private readonly Queue<(Action Run, Action<Exception> Fail)> _exclusive = new();
    private readonly PassGathering _gathering;
    private readonly FusedStepExecutor _executor;
    private readonly Thread _thread;
    private bool _stopping;
    /// <summary>Exclusive work has run since the last pass (compute thread, under the lock).</summary>
    private bool _exclusiveSincePass;

    public TrainingEngine(string baseModelId, LlamaForCausalLM model, ITextTokenizer tokenizer, EngineOptions? options = null)
    {
        BaseModelId = baseModelId;
        Model = model;
        Tokenizer = tokenizer;
        Options = (options ?? new EngineOptions()).Validate();
        Admission = new AdmissionGate(Options.MemoryBudgetBytes, Options.MaxResidentAdapters);
        _gathering = new PassGathering(Options, _lock);
        if (Options.TuneNativeAllocator) Runtime.NativeAllocatorTuning.Apply();
        _executor = new FusedStepExecutor(model, tokenizer.PadId, Options.ChunkTokens);
        _thread = new Thread(Loop) { IsBackground = true, Name = $"lora-engine:{baseModelId}" };
        _thread.Start();
    }

    public string BaseModelId { get; }
    public LlamaForCausalLM Model { get; }
    public ITextTokenizer Tokenizer { get; }
    public EngineOptions Options { get; }
    public AdmissionGate Admission { get; }

    /// <summary>Raised on the compute thread after every fused pass, before the pass's callers resume.</summary>
    public event Action<FusedPassReport>? PassCompleted;

    /// <summary>Makes an adapter resident (waiting for memory admission first), fresh or from a checkpoint.</summary>
    public async Task<AdapterSession> OpenAsync(AdapterJob job, AdapterCheckpoint? resume = null, CancellationToken cancellationToken = default)
    {
        job.Training.Validate(Model.Config.MaxPositionEmbeddings);
        EnsureFits(job.Training);
        if (job.Train.Count == 0) throw new ArgumentException($"job '{job.JobId}': the training split has no examples.");
        var layout = new AdapterLayout(Model.Config, job.Lora);
        var bytes = 4 * layout.Size * sizeof(float);
        await Admission.AdmitAsync(bytes, cancellationToken);
        try
        {
            var session = await RunAsync(() => AdapterSession.Open(job, layout, resume, Model.Device));
            lock (_lock) _gathering.Opened(session);
            return session;
        }
        catch
        {
            Admission.Release(bytes);
            throw;
        }
    }

    /// <summary>Throws, naming the fields, when one micro-batch of the job exceeds what a pass may hold: such a job
    /// would run alone in over-sized passes that can exhaust the silo's memory and fail every adapter fused with it.</summary>
    public void EnsureFits(TrainingSettings training)
    {
        var tokens = (long)training.BatchSize * training.SeqLen;
        if (tokens > Options.MaxTokensPerStep)
            throw new ArgumentException($"training fields 'batch_size' × 'seq_len' = {training.BatchSize} × {training.SeqLen} = {tokens} tokens " +
                $"per micro-batch exceed this silo's limit of {Options.MaxTokensPerStep} (engine option 'max_tokens_per_step'); " +
                "use gradient accumulation ('grad_accum') for larger batches.");
    }

    /// <summary>One optimizer step (all its micro-batches), fused with whatever other adapters are stepping.</summary>
    public Task<TrainingStepResult> StepAsync(AdapterSession session, CancellationToken cancellationToken = default)
    {
        var request = new StepRequest(session);
        lock (_lock)
        {
            // Under the lock that ReleaseAsync and Dispose take: a request can never reach a pass after either.
            ObjectDisposedException.ThrowIf(_stopping, this);
            ObjectDisposedException.ThrowIf(session.Released, session);
            _gathering.Enqueue(request);
            Monitor.PulseAll(_lock);
        }
        if (!cancellationToken.CanBeCanceled) return request.Completion.Task;
        // A job's token lives for all its steps: the registration must end with the step, or they pile up.
        var registration = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (_gathering.TryWithdraw(request)) request.Completion.TrySetCanceled(cancellationToken);
            }
        });
        request.Completion.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        return request.Completion.Task;
    }

    /// <summary>Mean next-token loss on examples with the session's adapter, or the bare base when null.</summary>
    public Task<double> EvaluateAsync(AdapterSession? session, IReadOnlyList<TrainingExample> examples)
    {
        // Nothing to evaluate need not queue behind a running pass (a starting job would then miss the next one).
        if (examples.Count == 0) return Task.FromResult(double.NaN);
        return RunAsync(() =>
        {
            if (session is null) return _executor.Evaluate(null, examples);
            using var weights = session.Parameters.ToWeights();
            return _executor.Evaluate(new SingleAdapterDelta(weights), examples, session.Job.Training.BatchSize);
        });
    }

    public Task<AdapterCheckpoint> CheckpointAsync(AdapterSession session) => RunAsync(session.Snapshot);

    /// <summary>A detached copy of the adapter's factors (PEFT layout); the caller owns and disposes it.</summary>
    public Task<AdapterWeights> ExportAsync(AdapterSession session) => RunAsync(session.Parameters.ToWeights);

    /// <summary>The adapter as PEFT files (safetensors bytes, adapter_config.json), serialised on the compute thread.</summary>
    public Task<(byte[] Safetensors, string ConfigJson)> ExportPeftAsync(AdapterSession session, string baseModelNameOrPath) => RunAsync(() =>
    {
        using var weights = session.Parameters.ToWeights();
        return PeftAdapterFiles.ToBytes(weights, baseModelNameOrPath);
    });

    /// <summary>Generates with an adapter given as PEFT files; loading, generation and disposal all stay on the compute thread.</summary>
    public Task<string> GenerateAsync(byte[] safetensors, string configJson, string prompt, int maxNewTokens, double temperature = 0, long seed = 0) =>
        RunAsync(() =>
        {
            using var weights = PeftAdapterFiles.FromBytes(safetensors, configJson);
            PeftAdapterFiles.ValidateAgainst(weights, Model.Config);
            return Generate(weights, prompt, maxNewTokens, temperature, seed);
        });

    /// <summary>At most <see cref="EngineOptions.MaxNewTokens"/> tokens, however many are asked for.</summary>
    public Task<string> GenerateAsync(AdapterWeights? adapter, string prompt, int maxNewTokens, double temperature = 0, long seed = 0) =>
        RunAsync(() => Generate(adapter, prompt, maxNewTokens, temperature, seed));

    private string Generate(AdapterWeights? adapter, string prompt, int maxNewTokens, double temperature, long seed)
    {
        // Adapters load on the CPU (PEFT files) or come from anywhere; the base may be on a GPU.
        using var onDevice = adapter?.To(Model.Device);
        return TextGenerator.Generate(Model, Tokenizer, onDevice is null ? null : new SingleAdapterDelta(onDevice), prompt,
            Math.Min(maxNewTokens, Options.MaxNewTokens), temperature, seed);
    }

    /// <summary>Frees the adapter's tensors and its admission budget.</summary>
    public Task ReleaseAsync(AdapterSession session) => RunAsync(() =>
    {
        lock (_lock)
        {
            if (session.Released) return true;
            _gathering.Closed(session);
            session.Released = true;
        }
        session.Parameters.Dispose();
        Admission.Release(session.StateBytes);
        return true;
    });

    /// <summary>Runs tensor work on the compute thread.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _exclusive.Enqueue((() =>
            {
                try { completion.SetResult(work()); }
                catch (Exception e) { completion.SetException(e); }
            }, e => completion.TrySetException(e)));
            Monitor.PulseAll(_lock);
        }
        return completion.Task;
    }

    private void Loop()
    {
        while (true)
        {
            (Action Run, Action<Exception> Fail)? exclusive = null;
            List<StepRequest>? pass = null;
            lock (_lock)
            {
                while (!_stopping && _exclusive.Count == 0 && !_gathering.HasRequests) Monitor.Wait(_lock);
                if (_stopping) break;
                if (_exclusive.Count > 0 && !PassDue()) (exclusive, _exclusiveSincePass) = (_exclusive.Dequeue(), true);
                else if (_gathering.WaitUntilGathered(() => _stopping || (_exclusive.Count > 0 && !PassDue())))
                    (pass, _exclusiveSincePass) = (_gathering.Select(), false);
            }
            exclusive?.Run();
            if (pass is not null) RunPass(pass);
        }
        lock (_lock)
        {
            _gathering.CancelAll();
            // Queued just before Dispose (a grain releasing its session during silo shutdown): answer, never hang.
            while (_exclusive.TryDequeue(out var item)) item.Fail(new ObjectDisposedException(nameof(TrainingEngine)));
        }
    }

    /// <summary>A gathered pass goes before further exclusive work once one item has run since the last pass and the
    /// pass has been ready for <see cref="EngineOptions.MaxPassDelay"/>: a stream of generations must not starve
    /// training, nor a stream of passes the checkpoints and releases.</summary>
    private bool PassDue() => _exclusiveSincePass && _gathering.Overdue(Options.MaxPassDelay);

    private void RunPass(List<StepRequest> pass)
    {
        var clock = Stopwatch.StartNew();
        int stepped = 0, failed = 0, tokens = 0;
        var done = new List<(StepRequest Request, TrainingStepResult Result)>();
        try
        {
            var participants = pass.Select(r =>
            {
                var (s, training) = (r.Session, r.Session.Job.Training);
                var lr = LearningRateSchedule.At(training, s.Step);
                // With accumulation every token of the step must weigh 1/(all of the step's loss tokens), as in one
                // batch of them; 1/(its micro-batch's) × 1/accumulation would make short completions count for more.
                if (r.MicroBatchesDone == 0 && training.GradientAccumulation > 1)
                    r.StepLossTokens = s.Cursor.PeekLossTokens(training.BatchSize, training.GradientAccumulation);
                var batch = s.Cursor.NextBatch(training.BatchSize).Examples;
                if (training.GradientAccumulation == 1) r.StepLossTokens = batch.Sum(e => e.LossTokens);
                return new StepParticipant(s.Parameters, batch, s.Job.Training, s.Step + 1, lr, r.LastMicroBatch, r.StepLossTokens);
            }).ToList();
            var results = _executor.Run(participants);
            for (int i = 0; i < pass.Count; i++)
            {
                var (r, p, res) = (pass[i], participants[i], results[i]);
                r.MicroBatchesDone++;
                r.LossSum += res.Loss * p.MicroBatch.Sum(e => e.LossTokens);
                r.Tokens += res.Tokens;
                r.MaxFused = Math.Max(r.MaxFused, pass.Count);
                tokens += res.Tokens;
                if (res.Failure is null && !res.Stepped) continue;
                if (res.Stepped) { r.Session.Step++; stepped++; } else failed++;
                done.Add((r, new TrainingStepResult(r.Session.Step, r.LossSum / r.StepLossTokens, r.Tokens, p.LearningRate,
                    res.GradNorm, r.MaxFused, res.Failure)));
            }
        }
        catch (Exception e)
        {
            // Whatever broke (a pass out of memory, a data or schedule fault) fails these steps, never the engine
            // thread. Adapters a failed pass may have half-updated are the callers' to drop: the grain resumes from
            // its last checkpoint.
            lock (_lock) _gathering.PassEnded(pass, pass.Contains);
            foreach (var r in pass) r.Completion.TrySetException(e);
            return;
        }
        // Observers hear of the pass before its callers resume: whoever awaited a step sees it counted.
        try { PassCompleted?.Invoke(new FusedPassReport(pass.Count, tokens, clock.Elapsed, stepped, failed)); }
        catch (Exception e) { Trace.TraceError($"lora-engine {BaseModelId}: a PassCompleted observer threw: {e}"); }   // metrics must not stop training
        lock (_lock) _gathering.PassEnded(pass, r => done.Any(d => d.Request == r));
        foreach (var (r, result) in done) r.Completion.TrySetResult(result);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.PulseAll(_lock);
        }
        _thread.Join();
    }
}
