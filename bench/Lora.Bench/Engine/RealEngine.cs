using Lora.Training.Engine;
using Lora.Training.Model;
using Lora.Training.Tokenization;

namespace Lora.Bench.Engine;

/// <summary>The engine under test, unchanged.</summary>
public sealed class RealEngine(string id, LlamaForCausalLM model, ITextTokenizer tokenizer, EngineOptions options) : IStepEngine
{
    private sealed record Handle(AdapterSession Session) : IBenchSession
    {
        public string JobId => Session.JobId;
        public long StateBytes => Session.StateBytes;
    }

    private readonly TrainingEngine _engine = new(id, model, tokenizer, options);
    private System.Collections.Concurrent.ConcurrentQueue<int>? _sizes;

    public System.Collections.Concurrent.ConcurrentQueue<int> PassSizes
    {
        get
        {
            if (_sizes is not null) return _sizes;
            _sizes = new();
            _engine.PassCompleted += r => _sizes.Enqueue(r.Adapters);
            return _sizes;
        }
    }

    public string Kind => "src TrainingEngine";
    public LlamaForCausalLM Model => _engine.Model;
    public EngineOptions Options => _engine.Options;
    public async Task<IBenchSession> OpenAsync(AdapterJob job) => new Handle(await _engine.OpenAsync(job));
    public Task<TrainingStepResult> StepAsync(IBenchSession session) => _engine.StepAsync(((Handle)session).Session);
    public Task ReleaseAsync(IBenchSession session) => _engine.ReleaseAsync(((Handle)session).Session);
    public Task<T> RunAsync<T>(Func<T> work) => _engine.RunAsync(work);
    public void Dispose() => _engine.Dispose();
}
