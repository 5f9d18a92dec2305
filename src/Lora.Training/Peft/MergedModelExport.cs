using Lora.Training.Checkpoints;
using Lora.Training.Lora;
using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Peft;

/// <summary>
/// Folds an adapter into base weights (W' = W + scaling·B·A) so the result is a plain model any runtime can serve.
/// </summary>
public static class MergedModelExport
{
    /// <summary>
    /// Returns a new state dict in which every targeted <c>&lt;module path&gt;.weight</c> is a new merged tensor
    /// (computed in fp32, cast back to W's dtype and device). All other entries are the base's own tensors, not
    /// copies — so a full model is not duplicated in memory — and stay owned by the base: dispose only the merged
    /// entries (the keys of <see cref="MergedKeys"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">a targeted weight is absent or mis-shaped, or the merge is not finite
    /// (like PEFT's safe_merge, a broken adapter never reaches an exported model).</exception>
    public static Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> baseStateDict, AdapterWeights adapter)
    {
        var result = new Dictionary<string, Tensor>(baseStateDict, StringComparer.Ordinal);
        var merged = new List<Tensor>();
        var scaling = adapter.Settings.Scaling;
        try
        {
            using var _ = no_grad();
            foreach (var (path, pair) in adapter.Pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var key = path + ".weight";
                if (!baseStateDict.TryGetValue(key, out var w))
                    throw new InvalidDataException($"{path}: the base model has no tensor '{key}' to merge the adapter into.");
                if (!w.shape.SequenceEqual([pair.Out, pair.In]))
                    throw new InvalidDataException($"{path}: base weight is [{string.Join(", ", w.shape)}] but the adapter's B·A is [{pair.Out}, {pair.In}].");

                using var scope = NewDisposeScope();
                var sum = LoraMath.MergedWeight(w, pair.A, pair.B, scaling, path);   // [out, r]·[r, in] = [out, in]
                var cast = sum.dtype == w.dtype ? sum : sum.to(w.dtype);
                merged.Add(cast.MoveToOuterDisposeScope());
                result[key] = cast;
            }
            return result;
        }
        catch
        {
            foreach (var t in merged) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes base + adapter as a merged HuggingFace model directory: weights with every targeted W replaced by
    /// W + scaling·B·A, config.json, and the base's tokenizer files copied alongside. Written as one set
    /// (<see cref="FileSetWriter"/>): a failed merge or write leaves the output as it was, config.json goes in last,
    /// weight files of an earlier export that this one does not use are removed, and other files are left alone.
    /// Writing over the base model itself is refused: it would destroy the base while reading it.
    /// </summary>
    public static void ExportDirectory(string baseDir, AdapterWeights adapter, string outDir, string? dtype = null,
        long maxShardBytes = ShardPlan.DefaultMaxShardBytes)
    {
        // By real path: an output that is (or runs through) a link to the base would overwrite the base's weights.
        if (RealPath.SameFolder(baseDir, outDir))
            throw new ArgumentException($"'{outDir}' is the base model's own directory (--model '{baseDir}', both resolve to "
                + $"'{RealPath.Of(baseDir)}'): choose another output directory.");
        FileSetWriter.Write(outDir, staging => WriteDirectory(baseDir, adapter, staging, dtype, maxShardBytes),
            commitOrder: [HfCheckpointReader.IndexFile, HfCheckpointReader.ConfigFile], previousSet: HfModelDirectoryWriter.IsWeightFile);
    }

    private static void WriteDirectory(string baseDir, AdapterWeights adapter, string outDir, string? dtype, long maxShardBytes)
    {
        var config = HfCheckpointReader.ReadConfig(baseDir);
        PeftAdapterFiles.ValidateAgainst(adapter, config);
        var storage = dtype ?? StorageDtype(config);
        var stateDict = HfCheckpointReader.ReadStateDict(baseDir);
        try
        {
            var merged = Merge(stateDict, adapter);
            try
            {
                HfModelDirectoryWriter.Write(outDir, config, merged.Select(kv => (kv.Key, kv.Value)), storage, maxShardBytes);
            }
            finally
            {
                foreach (var key in MergedKeys(adapter)) merged[key].Dispose();
            }
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
        KeepBaseConfig(baseDir, outDir, storage);
        foreach (var name in CopiedFileNames.Where(n => File.Exists(Path.Combine(baseDir, n))))
            File.Copy(Path.Combine(baseDir, name), Path.Combine(outDir, name), overwrite: true);
    }

    /// <summary>Tokenizer files, and generation_config.json: without it transformers' generate() would not stop at
    /// the chat end token (Llama 3.x Instruct lists several eos ids there).</summary>
    private static readonly string[] CopiedFileNames =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"];

    /// <summary>
    /// The merged model is the base model with other weights, so its config.json is the base's own, field for field
    /// (list-valued eos_token_id, rope_scaling, architectures, anything this engine does not model), with only the
    /// storage dtype changed; rewriting it from <see cref="LlamaConfig"/> would drop what that record does not hold.
    /// </summary>
    private static void KeepBaseConfig(string baseDir, string outDir, string dtype)
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(baseDir, HfCheckpointReader.ConfigFile)))!.AsObject();
        config["torch_dtype"] = dtype;
        if (config.ContainsKey("dtype")) config["dtype"] = dtype;
        AtomicFile.WriteAllText(Path.Combine(outDir, HfCheckpointReader.ConfigFile),
            config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    // float16 checkpoints are computed in float32 here (fp16 on CPU is unusable), so that is what they export as.
    private static string StorageDtype(LlamaConfig config) => config.TorchDtype == "bfloat16" ? "bfloat16" : "float32";

    /// <summary>The state-dict keys <see cref="Merge"/> replaces with new tensors for this adapter.</summary>
    public static IEnumerable<string> MergedKeys(AdapterWeights adapter) => adapter.Pairs.Keys.Select(p => p + ".weight");
}
