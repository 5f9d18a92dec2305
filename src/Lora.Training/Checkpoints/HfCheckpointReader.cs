using System.Text.Json;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>
/// Reads a HuggingFace model directory: config.json plus either model.safetensors or the shards listed by
/// model.safetensors.index.json (the same precedence transformers uses). Every error names the offending path.
/// </summary>
public static class HfCheckpointReader
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    public static LlamaConfig ReadConfig(string modelDir)
    {
        var path = Path.Combine(RequireDirectory(modelDir), ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"model config not found: {path}", path);
        return LlamaConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>All tensors of the checkpoint by HF name; the caller owns (and disposes) them.</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string modelDir)
    {
        var dir = RequireDirectory(modelDir);
        var single = Path.Combine(dir, WeightsFile);
        if (File.Exists(single)) return SafetensorsFile.Read(single);

        var index = Path.Combine(dir, IndexFile);
        if (!File.Exists(index))
            throw new FileNotFoundException($"no weights in {dir}: expected {WeightsFile} or {IndexFile} (only .safetensors checkpoints are supported).", single);
        return ReadSharded(dir, index);
    }

    private static Dictionary<string, Tensor> ReadSharded(string dir, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var shard in weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var shardPath = Path.Combine(dir, shard);
                if (!File.Exists(shardPath))
                    throw new FileNotFoundException($"{indexPath} names shard '{shard}' but {shardPath} does not exist.", shardPath);
                foreach (var (name, tensor) in SafetensorsFile.Read(shardPath))
                {
                    if (!result.TryAdd(name, tensor))
                    {
                        tensor.Dispose();
                        throw new InvalidDataException($"{shardPath}: tensor '{name}' also appears in another shard.");
                    }
                }
            }
            var absent = weightMap.Where(kv => !result.ContainsKey(kv.Key)).Select(kv => $"'{kv.Key}' (in {kv.Value})").ToList();
            if (absent.Count > 0)
                throw new InvalidDataException($"{indexPath}: {absent.Count} tensor(s) listed in weight_map are missing from their shards: {string.Join(", ", absent.Take(10))}{(absent.Count > 10 ? ", …" : "")}");
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{indexPath}: missing object 'weight_map'.");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                var file = p.Value.GetString() ?? "";
                // A shard is a file beside the index; anything else (a path, "..") would read outside the model.
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                    throw new InvalidDataException($"{indexPath}: weight_map entry '{p.Name}' names an invalid shard file '{file}'.");
                result[p.Name] = file;
            }
            return result;
        }
        catch (JsonException e) { throw new InvalidDataException($"{indexPath}: not valid JSON: {e.Message}"); }
        catch (InvalidOperationException e) { throw new InvalidDataException($"{indexPath}: weight_map values must be file names ({e.Message})."); }
    }

    private static string RequireDirectory(string modelDir)
    {
        if (!Directory.Exists(modelDir)) throw new DirectoryNotFoundException($"model directory not found: {modelDir}");
        return modelDir;
    }
}
