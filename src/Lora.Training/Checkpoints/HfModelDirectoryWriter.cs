using Lora.Training.Model;
using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>
/// Writes a HuggingFace model directory (config.json + model.safetensors) that transformers and this engine load.
/// Tokenizer files are the caller's. Each file is replaced atomically; weights go first so that a config never
/// describes weights that are not there yet.
/// </summary>
public static class HfModelDirectoryWriter
{
    /// <summary>
    /// Writes config.json (torch_dtype set to <paramref name="dtype"/>) and model.safetensors; floating tensors are
    /// stored as "float32" or "bfloat16".
    /// </summary>
    public static void Write(string dir, LlamaConfig config, IEnumerable<(string Name, Tensor Tensor)> stateDict, string dtype)
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

        Directory.CreateDirectory(dir);
        SafetensorsFile.Write(Path.Combine(dir, HfCheckpointReader.WeightsFile), tensors, storage);
        AtomicFile.WriteAllText(Path.Combine(dir, HfCheckpointReader.ConfigFile), (config with { TorchDtype = dtype }).ToJson());
    }
}
