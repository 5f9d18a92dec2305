using Lora.Training.Lora;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Tests.Peft;

/// <summary>Adapters for the tiny default LlamaConfig (hidden 64, 2 layers) with non-zero B so BA matters.</summary>
internal static class TinyAdapter
{
    public static readonly LlamaConfig Config = new();

    public static AdapterWeights Create(LoraSettings settings, long seed = 1)
    {
        using var gen = new Generator((ulong)seed);
        var pairs = new Dictionary<string, LoraPair>();
        for (var layer = 0; layer < Config.NumHiddenLayers; layer++)
        {
            foreach (var module in settings.ResolvedTargets)
            {
                var (o, i) = Config.LinearShape(module);
                var pair = LoraPair.Create(i, o, settings, gen);
                using (no_grad()) pair.B.normal_(0, 0.1, generator: gen);
                pairs[LlamaConfig.ModulePath(layer, module)] = pair;
            }
        }
        return new AdapterWeights(settings, pairs);
    }
}
