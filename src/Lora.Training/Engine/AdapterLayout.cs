using Lora.Training.Lora;
using Lora.Training.Model;

namespace Lora.Training.Engine;

/// <summary>Where one targeted linear layer's A (r, in) and B (out, r) sit inside an adapter's flat vector.</summary>
public sealed record LayoutSegment(int Layer, string Module, int In, int Out, long AOffset, long BOffset)
{
    public string ModulePath => LlamaConfig.ModulePath(Layer, Module);
}

/// <summary>
/// The flat-vector layout of an adapter: every (layer, module) it targets, A then B, in block order.
/// Adapters with equal <see cref="Key"/> have identical layouts and can be stacked into one batched product.
/// </summary>
public sealed class AdapterLayout
{
    private readonly Dictionary<(int, string), LayoutSegment> _byModule;

    public AdapterLayout(LlamaConfig config, LoraSettings settings)
    {
        settings.ValidateFor(config);
        Rank = settings.Rank;
        var segments = new List<LayoutSegment>();
        long offset = 0;
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            foreach (var module in settings.ResolvedTargets)
            {
                var (o, i) = config.LinearShape(module);
                segments.Add(new LayoutSegment(layer, module, i, o, offset, offset + (long)Rank * i));
                offset += (long)Rank * (i + o);
            }
        }
        Segments = segments;
        Size = offset;
        Key = $"r{Rank}:{string.Join(",", settings.ResolvedTargets)}";
        _byModule = segments.ToDictionary(s => (s.Layer, s.Module));
    }

    public int Rank { get; }
    public IReadOnlyList<LayoutSegment> Segments { get; }
    /// <summary>Trainable parameters: Σ r·(in + out).</summary>
    public long Size { get; }
    public string Key { get; }

    public LayoutSegment? Find(int layer, string module) => _byModule.GetValueOrDefault((layer, module));
}
