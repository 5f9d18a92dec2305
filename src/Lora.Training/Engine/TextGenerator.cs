using Lora.Training.Lora;
using Lora.Training.Model;
using Lora.Training.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>Greedy or temperature sampling from the base with an optional adapter. No KV cache: the models
/// served here are small and generations short, so recomputing the prefix keeps this code obviously right.</summary>
public static class TextGenerator
{
    /// <summary>Below this, sampling is greedy: logits / T overflows float32 (NaN after softmax) long before T
    /// reaches 0, and at 1e-5 a logit gap of 1e-3 already makes the runner-up e^-100 as likely, i.e. argmax anyway.</summary>
    public const double GreedyBelowTemperature = 1e-5;

    public static string Generate(LlamaForCausalLM model, ITextTokenizer tokenizer, ILoraDelta? delta, string prompt,
        int maxNewTokens, double temperature = 0, long seed = 0)
    {
        if (maxNewTokens < 0) throw new ArgumentException($"max_new_tokens must be >= 0 (got {maxNewTokens}).");
        if (!double.IsFinite(temperature) || temperature < 0) throw new ArgumentException($"temperature must be >= 0 (got {temperature}).");
        var ids = new List<long>();
        if (tokenizer.PrependedBosId is { } bos) ids.Add(bos);
        ids.AddRange(tokenizer.Encode(prompt).Select(i => (long)i));
        if (ids.Count == 0) throw new ArgumentException("prompt is empty and the tokenizer adds no BOS token to start from.");
        if (ids.Count >= model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"prompt of {ids.Count} tokens leaves no room in the model's context of {model.Config.MaxPositionEmbeddings}.");

        var generated = new List<int>();
        using var generator = new Generator((ulong)seed, model.Device);   // multinomial rejects a generator of another device type
        using var _ = no_grad();
        while (generated.Count < maxNewTokens && ids.Count < model.Config.MaxPositionEmbeddings)
        {
            using var scope = NewDisposeScope();
            var input = tensor(ids.ToArray(), [1, ids.Count], device: model.Device);
            // Only ids the tokenizer can decode: checkpoints often pad vocab_size past the tokenizer's vocabulary.
            var last = model.ForwardLast(input, delta)[0].narrow(0, 0, tokenizer.VocabSize);   // (V_tok)
            long next = temperature < GreedyBelowTemperature
                ? last.argmax().item<long>()
                : multinomial(last.div(temperature).softmax(-1), 1, generator: generator).item<long>();
            if (next == tokenizer.EosId) break;
            ids.Add(next);
            generated.Add((int)next);
        }
        return tokenizer.Decode(generated);
    }
}
