using Lora.Training.Engine;
using Lora.Training.Model;

namespace Lora.Grains.Hosting;

/// <summary>
/// The silo's one frozen base model and the training engine that owns it. A singleton: every adapter grain on the
/// silo trains against this same instance, so memory grows by adapter state only, never by another base copy.
/// </summary>
public sealed class SiloModelHost(BaseModel model, TrainingEngine engine, string device) : IDisposable
{
    private static int _loads;

    public BaseModel Model { get; } = model;
    public TrainingEngine Engine { get; } = engine;
    public string Device { get; } = device;
    public string BaseModelId => Model.Id;

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
        Engine.Dispose();
        Model.Dispose();
    }
}
