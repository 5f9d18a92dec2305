using Lora.Cli.Output;
using Lora.Training.Lora;
using Lora.Training.Model;
using Lora.Training.Peft;
using Lora.Training.Runtime;
using TorchSharp;

namespace Lora.Cli.Commands.Local;

/// <summary>Loads a base and an optional adapter with errors phrased in terms of the flags the user passed.</summary>
internal static class LocalModel
{
    public static BaseModel LoadBase(string dir, string? dtype, string device, int threads)
    {
        UseThreads(threads);
        if (!Directory.Exists(dir)) throw new CliException($"--model: directory '{dir}' does not exist.");
        if (!File.Exists(Path.Combine(dir, "config.json")))
            throw new CliException($"--model: '{dir}' has no config.json (expected a HuggingFace model directory).");
        if (dtype is not (null or "float32" or "bfloat16"))
            throw new CliException($"--dtype: '{dtype}' is not float32 or bfloat16.");
        var resolved = TorchRuntime.ResolveDevice(device);
        return BaseModel.Load(dir, dtype: dtype, device: resolved);
    }

    /// <summary>Applies --threads (0 leaves torch's default). Process-wide, so it also covers the training engine's
    /// compute thread started later.</summary>
    public static void UseThreads(int threads)
    {
        if (threads < 0) throw new CliException($"--threads must be >= 0 (got {threads}).");
        if (threads > 0) torch.set_num_threads(threads);
    }

    /// <summary>Null when no adapter was given. A loaded adapter is checked against the base before any compute,
    /// so a mismatched adapter fails with the offending modules and shapes rather than a matmul error. Files load on
    /// the CPU; the factors are returned on the base's device, where the LoRA path multiplies them.</summary>
    public static AdapterWeights? LoadAdapter(string? dir, BaseModel baseModel)
    {
        if (dir is null) return null;
        if (!Directory.Exists(dir)) throw new CliException($"--adapter: directory '{dir}' does not exist.");
        var adapter = PeftAdapterFiles.Load(dir);
        try
        {
            PeftAdapterFiles.ValidateAgainst(adapter, baseModel.Config);
            return adapter.To(baseModel.Model.Device);
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"--adapter '{dir}': {e.Message}");
        }
        finally
        {
            adapter.Dispose();   // To made new handles; on the same device they share storage, which stays alive
        }
    }
}
