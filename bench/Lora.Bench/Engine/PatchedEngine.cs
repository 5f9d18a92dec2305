using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Model;
using Lora.Training.Optim;

namespace Lora.Bench.Engine;

/// <summary>
/// src TrainingEngine's step path at dd6d17f (compute thread, gather window, oldest-first selection, RunPass),
/// copied with only what the benchmark uses, over <see cref="PatchedExecutor"/> and sessions whose parameters come
/// from <see cref="SessionFactory.CreateParameters"/>. Used only while the src engine cannot open or step.
/// </summary>
public sealed class PatchedEngine : IStepEngine
{
    private sealed class Session(AdapterJob job, AdapterParameters parameters) : IBenchSession
    {
        public AdapterJob Job { get; } = job;
        public AdapterParameters Parameters { get; } = parameters;
        public DataCursor Cursor { get; } = new(job.Train, job.Training.Seed);
        public int Step { get; set; }
        public string JobId => Job.JobId;
        public long StateBytes => Parameters.StateBytes;
    }

    private sealed class Request(Session session, DateTime arrival)
    {
        public Session Session { get; } = session;
        public DateTime Arrival { get; } = arrival;
        public int MicroBatchesDone { get; set; }
        public double LossSum { get; set; }
        public int Tokens { get; set; }
        public int MaxFused { get; set; }
        public TaskCompletionSource<TrainingStepResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool LastMicroBatch => MicroBatchesDone + 1 == Session.Job.Training.GradientAccumulation;
        public int TokenEstimate => Session.Job.Training.BatchSize * Session.Job.Training.SeqLen;
    }

    private readonly object _lock = new();
    private readonly Queue<Action> _exclusive = new();
    private readonly List<Request> _steps = [];
    private readonly HashSet<Session> _training = [];
    private readonly PatchedExecutor _executor;
    private readonly Thread _thread;
    private bool _stopping;

    public PatchedEngine(string id, LlamaForCausalLM model, int padId, EngineOptions options)
    {
        Model = model;
        Options = options.Validate();
        _executor = new PatchedExecutor(model, padId);
        _thread = new Thread(Loop) { IsBackground = true, Name = $"bench-engine:{id}" };
        _thread.Start();
    }

    public string Kind => "patched copy of src TrainingEngine (see EngineSelector)";
    public LlamaForCausalLM Model { get; }
    public System.Collections.Concurrent.ConcurrentQueue<int> PassSizes { get; } = new();
    public EngineOptions Options { get; }

    public Task<IBenchSession> OpenAsync(AdapterJob job) => RunAsync<IBenchSession>(() =>
        new Session(job, SessionFactory.CreateParameters(new AdapterLayout(Model.Config, job.Lora), job.Lora, Model.Device)));

    public Task<TrainingStepResult> StepAsync(IBenchSession session)
    {
        var request = new Request((Session)session, DateTime.UtcNow);
        lock (_lock)
        {
            _training.Add(request.Session);
            _steps.Add(request);
            Monitor.PulseAll(_lock);
        }
        return request.Completion.Task;
    }

    public Task ReleaseAsync(IBenchSession session) => RunAsync(() =>
    {
        lock (_lock) _training.Remove((Session)session);
        ((Session)session).Parameters.Dispose();
        return true;
    });

    public Task<T> RunAsync<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _exclusive.Enqueue(() =>
            {
                try { completion.SetResult(work()); }
                catch (Exception e) { completion.SetException(e); }
            });
            Monitor.PulseAll(_lock);
        }
        return completion.Task;
    }

    private void Loop()
    {
        while (true)
        {
            Action? exclusive = null;
            List<Request>? pass = null;
            lock (_lock)
            {
                while (!_stopping && _exclusive.Count == 0 && _steps.Count == 0) Monitor.Wait(_lock);
                if (_stopping) break;
                if (_exclusive.Count > 0) exclusive = _exclusive.Dequeue();
                else if (Gathered()) pass = Select();
            }
            exclusive?.Invoke();
            if (pass is not null) RunPass(pass);
        }
    }

    private bool Gathered()
    {
        var deadline = _steps[0].Arrival + Options.GatherWindow;
        while (!_stopping && _exclusive.Count == 0 && _steps.Count < Math.Min(_training.Count, Options.MaxAdaptersPerStep))
        {
            var wait = deadline - DateTime.UtcNow;
            if (wait <= TimeSpan.Zero) break;
            Monitor.Wait(_lock, wait);
        }
        return !_stopping && _exclusive.Count == 0 && _steps.Count > 0;
    }

    private List<Request> Select()
    {
        var pass = new List<Request>();
        var tokens = 0;
        foreach (var r in _steps)
        {
            if (pass.Count == Options.MaxAdaptersPerStep) break;
            if (pass.Count > 0 && tokens + r.TokenEstimate > Options.MaxTokensPerStep) continue;
            pass.Add(r);
            tokens += r.TokenEstimate;
        }
        return pass;
    }

    private void RunPass(List<Request> pass)
    {
        var participants = pass.Select(r =>
        {
            var s = r.Session;
            var lr = LearningRateSchedule.At(s.Job.Training, s.Step);
            var batch = s.Cursor.NextBatch(s.Job.Training.BatchSize).Examples;
            return new StepParticipant(s.Parameters, batch, s.Job.Training, s.Step + 1, lr, r.LastMicroBatch);
        }).ToList();
        PassSizes.Enqueue(pass.Count);
        IReadOnlyList<ParticipantResult> results;
        try { results = _executor.Run(participants); }
        catch (Exception e)
        {
            lock (_lock) _steps.RemoveAll(pass.Contains);
            foreach (var r in pass) r.Completion.TrySetException(e);
            return;
        }
        var done = new List<(Request, TrainingStepResult)>();
        for (int i = 0; i < pass.Count; i++)
        {
            var (r, p, res) = (pass[i], participants[i], results[i]);
            r.MicroBatchesDone++;
            r.LossSum += res.Loss;
            r.Tokens += res.Tokens;
            r.MaxFused = Math.Max(r.MaxFused, pass.Count);
            if (res.Failure is null && !res.Stepped) continue;
            if (res.Stepped) r.Session.Step++;
            done.Add((r, new TrainingStepResult(r.Session.Step, r.LossSum / r.MicroBatchesDone, r.Tokens, p.LearningRate,
                res.GradNorm, r.MaxFused, res.Failure)));
        }
        lock (_lock) _steps.RemoveAll(r => done.Any(d => d.Item1 == r));
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
