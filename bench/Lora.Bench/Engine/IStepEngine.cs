using Lora.Training.Engine;
using Lora.Training.Model;

namespace Lora.Bench.Engine;

/// <summary>An open adapter on a benchmarked engine.</summary>
public interface IBenchSession
{
    string JobId { get; }
    long StateBytes { get; }
}

/// <summary>What the benchmark needs from a training engine; lets it run the real <see cref="TrainingEngine"/>,
/// or the patched copy while src has the bugs described in <see cref="EngineSelector"/>.</summary>
public interface IStepEngine : IDisposable
{
    string Kind { get; }
    LlamaForCausalLM Model { get; }
    EngineOptions Options { get; }
    Task<IBenchSession> OpenAsync(AdapterJob job);
    Task<TrainingStepResult> StepAsync(IBenchSession session);
    Task ReleaseAsync(IBenchSession session);
    Task<T> RunAsync<T>(Func<T> work);
    /// <summary>Adapters in each fused pass so far (gather efficiency).</summary>
    System.Collections.Concurrent.ConcurrentQueue<int> PassSizes { get; }
}
