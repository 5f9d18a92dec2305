using System.CommandLine;
using Lora.Cli.Output;
using Lora.Training.Model;
using Lora.Training.Tokenization;
using static TorchSharp.torch;

namespace Lora.Cli.Commands.Local;

/// <summary>`lora model init-tiny`: a small randomly initialised Llama in HF format, for tests, demos and smoke runs.</summary>
internal static class ModelInitTinyCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Directory to write the model into.", Required = true };
        var layers = Int("--layers", 2, "Decoder layers.");
        var hidden = Int("--hidden", 64, "Hidden size.");
        var heads = Int("--heads", 4, "Attention heads.");
        var kvHeads = Int("--kv-heads", 2, "Key/value heads (grouped-query attention when fewer than --heads).");
        var intermediate = Int("--intermediate", 128, "MLP intermediate size.");
        var vocab = Int("--vocab", 512, $"Vocabulary size (>= {TokenizerFiles.MinByteLevelVocabSize}: 256 bytes + <s>, </s>, <pad>).");
        var maxPosition = Int("--max-position", 512, "Context length (max_position_embeddings).");
        var dtype = new Option<string>("--dtype") { Description = "Storage dtype: float32 or bfloat16.", DefaultValueFactory = _ => "float32" };
        var seed = LocalOptions.Seed();
        var force = new Option<bool>("--force") { Description = "Overwrite a model already in --out." };
        var json = LocalOptions.Json();

        var command = new Command("init-tiny", "Write a randomly initialised tiny Llama model (config.json, model.safetensors, byte-level tokenizer).")
        {
            outDir, layers, hidden, heads, kvHeads, intermediate, vocab, maxPosition, dtype, seed, force, json,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(outDir)!;
            var v = parse.GetValue(vocab);
            if (v < TokenizerFiles.MinByteLevelVocabSize)
                throw new CliException($"--vocab must be >= {TokenizerFiles.MinByteLevelVocabSize} for the byte-level tokenizer (got {v}).");
            var storage = parse.GetValue(dtype);
            if (storage is not ("float32" or "bfloat16")) throw new CliException($"--dtype: '{storage}' is not float32 or bfloat16.");
            if (File.Exists(Path.Combine(dir, "config.json")) && !parse.GetValue(force))
                throw new CliException($"--out: '{dir}' already holds a model (config.json); pass --force to overwrite it.");

            var config = new LlamaConfig
            {
                NumHiddenLayers = parse.GetValue(layers),
                HiddenSize = parse.GetValue(hidden),
                NumAttentionHeads = parse.GetValue(heads),
                NumKeyValueHeads = parse.GetValue(kvHeads),
                IntermediateSize = parse.GetValue(intermediate),
                VocabSize = v,
                MaxPositionEmbeddings = parse.GetValue(maxPosition),
                // The byte-level tokenizer written alongside puts <s> and </s> right after the 256 bytes.
                BosTokenId = TokenizerFiles.BosId,
                EosTokenId = TokenizerFiles.EosId,
            }.Validate();

            using var model = LlamaForCausalLM.Create(config, ScalarType.Float32).InitializeRandom(parse.GetValue(seed));
            var parameters = model.parameters().Sum(p => p.numel());
            BaseModel.Save(dir, model, storage);

            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
                JsonOutput.Write(stdout, new
                {
                    @out = Path.GetFullPath(dir), parameters, layers = config.NumHiddenLayers, hidden = config.HiddenSize,
                    heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, intermediate = config.IntermediateSize,
                    vocab = config.VocabSize, maxPosition = config.MaxPositionEmbeddings, dtype = storage,
                });
            else
                stdout.WriteLine($"wrote tiny llama ({parameters:N0} parameters, {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {storage}) to {Path.GetFullPath(dir)}");
            return 0;
        });
        return command;
    }

    private static Option<int> Int(string name, int fallback, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => fallback };
}
