using Lora.Training.Engine;
using Lora.Training.Model;

namespace Lora.Grains.Hosting;

/// <summary>
/// The silo's one frozen base model and the training engine that owns it. A singleton: every adapter grain on the
/// silo trains against this same instance, so memory grows by adapter state only, never by another base copy.
/// </summary>
public sealed class SiloModelHost : IDisposable
{
    private static int _loads;

    public SiloModelHost(BaseModel model, TrainingEngine engine, string device)
    {
        Model = model;
        Engine = engine;
        Device = device;
        ParameterCount = model.Model.parameters().Sum(p => p.numel());
        WeightBytes = model.Model.WeightBytes;
        // Created with the host, so the silo's gauges exist from start, before the first job arrives.
        Metrics = new LoraMetrics(this);
    }

    public BaseModel Model { get; }
    public TrainingEngine Engine { get; }
    public string Device { get; }
    public LoraMetrics Metrics { get; }
    public string BaseModelId => Model.Id;
    /// <summary>Frozen parameters and their bytes, counted once: the base never changes.</summary>
    public long ParameterCount { get; }
    public long WeightBytes { get; }

    /// <summary>How many base models this process has loaded (tests assert one per silo).</summary>
    public static int LoadCount => _loads;

    public static SiloModelHost Load(string id, string path, string dtype, string device, EngineOptions? options = null)
    {
        var resolved = Lora.Training.Runtime.TorchRuntime.ResolveDevice(device);
        var model = BaseModel.Load(path, id, dtype, resolved);
        Interlocked.Increment(ref _loads);
        return new SiloModelHost(model, new TrainingEngine(id, model.Model, model.Tokenizer, options), resolved.ToString());
    }

    public void Dispose()
    {
        Metrics.Dispose();
        Engine.Dispose();
        Model.Dispose();
    }
}
