using System.Text;
using System.Text.RegularExpressions;
using Lora.Training.Checkpoints;
using Lora.Training.Lora;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Peft;

/// <summary>
/// An adapter in HuggingFace PEFT's on-disk format: adapter_model.safetensors (fp32 lora_A [r, in] and
/// lora_B [out, r] per module) + adapter_config.json. Also the in-memory form used to ship an adapter over the
/// network, so client and server produce byte-identical files.
/// </summary>
public static partial class PeftAdapterFiles
{
    public const string WeightsFile = "adapter_model.safetensors";
    public const string ConfigFile = "adapter_config.json";

    public static void Save(string dir, AdapterWeights adapter, string baseModelNameOrPath)
    {
        var (weights, config) = ToBytes(adapter, baseModelNameOrPath);
        WriteToDirectory(dir, weights, config);
    }

    public static AdapterWeights Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"adapter directory not found: {dir}");
        var weights = Path.Combine(dir, WeightsFile);
        var config = Path.Combine(dir, ConfigFile);
        foreach (var f in new[] { config, weights })
            if (!File.Exists(f)) throw new FileNotFoundException($"adapter file not found: {f}", f);
        var settings = PeftAdapterConfig.Parse(File.ReadAllText(config), config);
        return Build(settings, SafetensorsFile.Read(weights), weights);
    }

    public static (byte[] Safetensors, string ConfigJson) ToBytes(AdapterWeights adapter, string baseModelNameOrPath)
    {
        var config = PeftAdapterConfig.ToJson(adapter.Settings, baseModelNameOrPath);
        var tensors = adapter.Pairs.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(p => new[] { (PeftKeys.A(p.Key), p.Value.A), (PeftKeys.B(p.Key), p.Value.B) });
        return (SafetensorsFile.ToBytes(tensors, ScalarType.Float32), config);
    }

    public static AdapterWeights FromBytes(byte[] safetensors, string configJson)
    {
        var settings = PeftAdapterConfig.Parse(configJson, ConfigFile);
        return Build(settings, SafetensorsFile.FromBytes(safetensors, WeightsFile), WeightsFile);
    }

    /// <summary>
    /// Writes an adapter received as bytes after checking it parses, as one set (<see cref="FileSetWriter"/>):
    /// adapter_config.json goes in last, so it never describes weights that are not there yet. Other files in
    /// <paramref name="dir"/> are left alone.
    /// </summary>
    public static void WriteToDirectory(string dir, byte[] safetensors, string configJson)
    {
        FromBytes(safetensors, configJson).Dispose(); // refuse to persist anything we could not load back
        var configBytes = Encoding.UTF8.GetBytes(configJson);
        FileSetWriter.Write(dir, staging =>
        {
            File.WriteAllBytes(Path.Combine(staging, WeightsFile), safetensors);
            File.WriteAllBytes(Path.Combine(staging, ConfigFile), configBytes);
        }, commitOrder: [ConfigFile]);
    }

    /// <summary>
    /// Checks the adapter fits this base: every module is a block linear layer that exists in it, A is [r, in]
    /// and B is [out, r]. Lists every mismatch with expected and actual shapes.
    /// </summary>
    public static void ValidateAgainst(AdapterWeights adapter, LlamaConfig config)
    {
        var r = adapter.Settings.Rank;
        var problems = new List<string>();
        foreach (var (path, pair) in adapter.Pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var m = BlockLinear().Match(path);
            var layer = m.Success && int.TryParse(m.Groups["layer"].Value, out var l) ? l : -1;
            var module = m.Groups["module"].Value;
            if (layer < 0 || !LlamaConfig.LinearModuleNames.Contains(module) || LlamaConfig.ModulePath(layer, module) != path)
            {
                problems.Add($"{path}: not a block linear layer (expected model.layers.<i>.self_attn|mlp.<{string.Join("|", LlamaConfig.LinearModuleNames)}>).");
                continue;
            }
            if (layer >= config.NumHiddenLayers)
            {
                problems.Add($"{path}: layer {layer} does not exist (the base has {config.NumHiddenLayers} layers).");
                continue;
            }
            var (o, i) = config.LinearShape(module);
            if (!pair.A.shape.SequenceEqual([r, i]) || !pair.B.shape.SequenceEqual([o, r]))
                problems.Add($"{path}: expected lora_A [{r}, {i}] and lora_B [{o}, {r}], adapter has lora_A {Shape(pair.A)} and lora_B {Shape(pair.B)}.");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"adapter does not fit this base model:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    /// <summary>Pairs up A and B tensors by module; takes ownership of <paramref name="tensors"/> (disposes them on error).</summary>
    private static AdapterWeights Build(LoraSettings settings, Dictionary<string, Tensor> tensors, string source)
    {
        var pairs = new Dictionary<string, LoraPair>(StringComparer.Ordinal);
        try
        {
            var byModule = new Dictionary<string, (string? A, string? B)>(StringComparer.Ordinal);
            foreach (var key in tensors.Keys)
            {
                if (!PeftKeys.TryParse(key, out var path, out var isA))
                    throw new InvalidDataException($"{source}: tensor '{key}' is not a LoRA factor (expected <module>.lora_A.weight / .lora_B.weight).");
                var entry = byModule.GetValueOrDefault(path);
                if ((isA ? entry.A : entry.B) is { } previous)
                    throw new InvalidDataException($"{source}: module '{path}' has two lora_{(isA ? "A" : "B")} tensors ('{previous}', '{key}').");
                byModule[path] = isA ? (key, entry.B) : (entry.A, key);
            }
            if (byModule.Count == 0) throw new InvalidDataException($"{source}: contains no LoRA tensors.");

            var targets = settings.ResolvedTargets;
            foreach (var (path, (aKey, bKey)) in byModule.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (aKey is null || bKey is null)
                    throw new InvalidDataException($"{source}: module '{path}' has lora_{(aKey is null ? "B" : "A")} but no lora_{(aKey is null ? "A" : "B")}.");
                var a = tensors[aKey];
                var b = tensors[bKey];
                if (a.dim() != 2 || b.dim() != 2)
                    throw new InvalidDataException($"{source}: module '{path}': lora_A {Shape(a)} and lora_B {Shape(b)} must both be matrices.");
                if (a.shape[0] != b.shape[1])
                    throw new InvalidDataException($"{source}: module '{path}': lora_A {Shape(a)} has rank {a.shape[0]} but lora_B {Shape(b)} has rank {b.shape[1]}.");
                if (a.shape[0] != settings.Rank)
                    throw new InvalidDataException($"{source}: module '{path}' has rank {a.shape[0]} but adapter_config.json says r = {settings.Rank}.");
                var module = path[(path.LastIndexOf('.') + 1)..];
                if (!targets.Contains(module))
                    throw new InvalidDataException($"{source}: module '{path}' is not among target_modules ({string.Join(", ", settings.TargetModules)}).");
                pairs[path] = new LoraPair(ToFloat32(a), ToFloat32(b));
            }
            return new AdapterWeights(settings, pairs);
        }
        catch
        {
            foreach (var p in pairs.Values) p.Dispose();
            throw;
        }
        finally
        {
            // Converted tensors are new; originals that were already fp32 now belong to the pairs.
            var kept = pairs.Values.SelectMany(p => new[] { p.A, p.B }).ToHashSet(ReferenceEqualityComparer.Instance);
            foreach (var t in tensors.Values) if (!kept.Contains(t)) t.Dispose();
        }
    }

    // LoRA factors are trained and stored in fp32 here, whatever a third-party file used.
    private static Tensor ToFloat32(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to(ScalarType.Float32);

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";

    [GeneratedRegex(@"^model\.layers\.(?<layer>\d+)\.(?:self_attn|mlp)\.(?<module>\w+)$")]
    private static partial Regex BlockLinear();
}
