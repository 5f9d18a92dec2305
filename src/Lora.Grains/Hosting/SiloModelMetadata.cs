using System.Globalization;
using Lora.Abstractions;
using Orleans.Runtime;

namespace Lora.Grains.Hosting;

/// <summary>
/// What a silo publishes about its base model as Orleans silo metadata. Membership carries it to every silo and
/// forgets it with the silo, so placement and the model listing always agree with who is alive: a registry grain
/// kept in memory would start empty on a survivor after its silo died, and the cluster would look model-less
/// until every silo registered again.
/// </summary>
public static class SiloModelMetadata
{
    /// <summary>The base model id: what placement matches a job's grain key against.</summary>
    public const string BaseModelKey = "lora-base-model";
    private const string LayersKey = "lora-layers", HiddenKey = "lora-hidden", VocabKey = "lora-vocab", ContextKey = "lora-context",
        ParametersKey = "lora-parameters", DtypeKey = "lora-dtype", DeviceKey = "lora-device";

    public static Dictionary<string, string> Of(SiloModelHost host)
    {
        var config = host.Model.Config;
        static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
        return new()
        {
            [BaseModelKey] = host.BaseModelId,
            [LayersKey] = Text(config.NumHiddenLayers),
            [HiddenKey] = Text(config.HiddenSize),
            [VocabKey] = Text(config.VocabSize),
            [ContextKey] = Text(config.MaxPositionEmbeddings),
            [ParametersKey] = Text(host.ParameterCount),
            [DtypeKey] = host.Model.Model.WeightDtype.ToString().ToLowerInvariant(),
            [DeviceKey] = host.Device,
        };
    }

    /// <summary>The model a silo published; null for a silo without one (or whose metadata has not arrived yet).</summary>
    public static BaseModelInfo? Read(SiloAddress silo, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(BaseModelKey, out var id)) return null;
        long Number(string key) => long.TryParse(metadata.GetValueOrDefault(key), CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new BaseModelInfo
        {
            Id = id,
            Silo = silo.ToString(),
            Layers = (int)Number(LayersKey),
            Hidden = (int)Number(HiddenKey),
            Vocab = (int)Number(VocabKey),
            MaxContext = (int)Number(ContextKey),
            Parameters = Number(ParametersKey),
            Dtype = metadata.GetValueOrDefault(DtypeKey, "float32"),
            Device = metadata.GetValueOrDefault(DeviceKey, "cpu"),
        };
    }
}
