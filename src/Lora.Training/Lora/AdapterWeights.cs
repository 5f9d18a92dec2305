using static TorchSharp.torch;

namespace Lora.Training.Lora;

/// <summary>
/// One adapter's factors keyed by HF module path (model.layers.0.self_attn.q_proj), as PEFT keys its
/// state dict. Owns its tensors.
/// </summary>
public sealed class AdapterWeights(LoraSettings settings, IReadOnlyDictionary<string, LoraPair> pairs) : IDisposable
{
    public LoraSettings Settings { get; } = settings;
    public IReadOnlyDictionary<string, LoraPair> Pairs { get; } = pairs;

    public LoraPair? Find(string modulePath) => Pairs.GetValueOrDefault(modulePath);

    /// <summary>The factors on <paramref name="device"/>, as new handles the caller disposes (already there, they share
    /// storage with these, which stay valid).</summary>
    public AdapterWeights To(Device device) =>
        new(Settings, Pairs.ToDictionary(p => p.Key, p => new LoraPair(p.Value.A.to(device), p.Value.B.to(device))));

    public void Dispose()
    {
        foreach (var p in Pairs.Values) p.Dispose();
    }
}
