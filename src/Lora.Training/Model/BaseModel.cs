using Lora.Training.Checkpoints;
using Lora.Training.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Model;

/// <summary>A frozen base loaded from a HuggingFace model directory, with its tokenizer.</summary>
public sealed class BaseModel(string id, string path, LlamaForCausalLM model, ITextTokenizer tokenizer) : IDisposable
{
    public string Id { get; } = id;
    /// <summary>The directory it came from (PEFT's base_model_name_or_path).</summary>
    public string Path { get; } = path;
    public LlamaForCausalLM Model { get; } = model;
    public ITextTokenizer Tokenizer { get; } = tokenizer;
    public LlamaConfig Config => Model.Config;

    /// <summary>
    /// Loads config.json, model.safetensors (or shards) and tokenizer.json. <paramref name="dtype"/> overrides the
    /// checkpoint's storage dtype ("float32" or "bfloat16"); float16 checkpoints load as float32.
    /// </summary>
    public static BaseModel Load(string modelDir, string? id = null, string? dtype = null, Device? device = null)
    {
        if (!Directory.Exists(modelDir)) throw new DirectoryNotFoundException($"base model directory '{modelDir}' does not exist.");
        var config = HfCheckpointReader.ReadConfig(modelDir);
        var weightDtype = (dtype ?? config.TorchDtype) switch
        {
            "bfloat16" => ScalarType.BFloat16,
            "float32" or "float16" => ScalarType.Float32,
            var other => throw new ArgumentException($"base model dtype '{other}' is not float32 or bfloat16."),
        };
        var tokenizer = TokenizerLoader.Load(modelDir);
        if (tokenizer.VocabSize > config.VocabSize)
            throw new InvalidDataException($"{modelDir}: tokenizer has {tokenizer.VocabSize} tokens but the model's vocab_size is {config.VocabSize}.");
        // Read before the model exists: a missing or corrupt shard then has no model to leak.
        var stateDict = HfCheckpointReader.ReadStateDict(modelDir);
        LlamaForCausalLM? model = null;
        try
        {
            model = LlamaForCausalLM.Create(config, weightDtype, device);
            var bound = StateDictBinder.Bind(stateDict, model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
            // A tensor with no place in the model means config.json does not describe this checkpoint (a bias or
            // layer the config did not announce); dropping it would run a different model. Rotary caches are derived,
            // and a tied model's stored lm_head is replaced by the embeddings in transformers too.
            var unplaced = bound.Ignored.Where(n => !n.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)
                && !(config.TieWordEmbeddings && n == "lm_head.weight")).ToList();
            if (unplaced.Count > 0)
                throw new InvalidDataException($"{modelDir}: checkpoint tensors with no place in the model config.json describes " +
                    $"({unplaced.Count}): {string.Join(", ", unplaced.Take(8))}{(unplaced.Count > 8 ? ", …" : "")}");
        }
        catch
        {
            model?.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in stateDict.Values) t.Dispose();
        }
        return new BaseModel(id ?? new DirectoryInfo(modelDir).Name, System.IO.Path.GetFullPath(modelDir), model, tokenizer);
    }

    /// <summary>Writes a model as a HF directory: config.json, model.safetensors and byte-level tokenizer files.</summary>
    public static void Save(string dir, LlamaForCausalLM model, string dtype = "float32")
    {
        Directory.CreateDirectory(dir);
        HfModelDirectoryWriter.Write(dir, model.Config with { TorchDtype = dtype },
            model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), dtype);
        TokenizerFiles.WriteByteLevel(dir, model.Config.VocabSize);
    }

    public void Dispose() => Model.Dispose();
}
