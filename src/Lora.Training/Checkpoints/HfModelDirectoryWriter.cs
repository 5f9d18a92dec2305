using System.Text.Json;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>
/// Writes a HuggingFace model directory (config.json + model.safetensors, or shards + model.safetensors.index.json)
/// that transformers and this engine load. Tokenizer files are the caller's. Each file is replaced atomically;
/// weights go first and config.json last, so a config never describes weights that are not there yet, and weight
/// files of an earlier export that the new one does not use are removed (readers prefer model.safetensors to an
/// index, so a stale one would shadow new shards).
/// </summary>
public static class HfModelDirectoryWriter
{
    /// <summary>
    /// Writes config.json (torch_dtype set to <paramref name="dtype"/>) and the weights; floating tensors are
    /// stored as "float32" or "bfloat16"; more than <paramref name="maxShardBytes"/> of tensors are sharded.
    /// </summary>
    public static void Write(string dir, LlamaConfig config, IEnumerable<(string Name, Tensor Tensor)> stateDict, string dtype,
        long maxShardBytes = ShardPlan.DefaultMaxShardBytes)
    {
        var storage = dtype switch
        {
            "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            _ => throw new ArgumentException($"export dtype must be 'float32' or 'bfloat16' (got '{dtype}')."),
        };
        config.Validate();
        // transformers drops the duplicate of a tied head when saving; do the same so both load it identically.
        var tensors = stateDict.Where(t => !(config.TieWordEmbeddings && t.Name == "lm_head.weight")).ToList();
        var sizes = tensors.Select(t => StoredBytes(t.Tensor, storage)).ToList();
        var shards = ShardPlan.Split(sizes, maxShardBytes);

        Directory.CreateDirectory(dir);
        var written = new HashSet<string>(StringComparer.Ordinal);
        if (shards.Count == 1)
        {
            SafetensorsFile.Write(Path.Combine(dir, HfCheckpointReader.WeightsFile), tensors, storage);
            written.Add(HfCheckpointReader.WeightsFile);
        }
        else
        {
            var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var s = 0; s < shards.Count; s++)
            {
                var name = ShardPlan.ShardName(s, shards.Count);
                var members = shards[s].Select(i => tensors[i]).ToList();
                SafetensorsFile.Write(Path.Combine(dir, name), members, storage);
                foreach (var (tensorName, _) in members) weightMap[tensorName] = name;
                written.Add(name);
            }
            var index = new { metadata = new { total_size = sizes.Sum() }, weight_map = weightMap };
            AtomicFile.WriteAllText(Path.Combine(dir, HfCheckpointReader.IndexFile),
                JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }));
            written.Add(HfCheckpointReader.IndexFile);
        }
        RemoveStaleWeights(dir, written);
        AtomicFile.WriteAllText(Path.Combine(dir, HfCheckpointReader.ConfigFile), (config with { TorchDtype = dtype }).ToJson());
    }

    private static long StoredBytes(Tensor t, ScalarType storage) =>
        t.numel() * (t.is_floating_point() ? (storage == ScalarType.BFloat16 ? 2 : 4) : t.element_size());

    /// <summary>Whether a file name is one this writer may have written as weights (and so may remove as stale).</summary>
    internal static bool IsWeightFile(string name) =>
        name == HfCheckpointReader.WeightsFile || name == HfCheckpointReader.IndexFile || ShardPlan.IsShardName(name);

    private static void RemoveStaleWeights(string dir, HashSet<string> written)
    {
        foreach (var path in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(path);
            if (IsWeightFile(name) && !written.Contains(name)) File.Delete(path);
        }
    }
}
