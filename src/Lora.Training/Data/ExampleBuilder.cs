using Lora.Training.Tokenization;

namespace Lora.Training.Data;

/// <summary>
/// Turns dataset records into fixed-length training examples for a tokenizer and sequence length T.
/// Text records are packed (bos where the tokenizer adds one + text + eos, concatenated, cut into windows of T+1
/// tokens), pre-tokenized records likewise but exactly as given; each prompt/completion record is one example with
/// the loss masked on prompt targets.
/// Packed windows come first, then prompt/completion examples, each in record order.
/// </summary>
public static class ExampleBuilder
{
    /// <summary>
    /// Builds examples of at most <paramref name="sequenceLength"/> positions. Token ids must fit
    /// <paramref name="modelVocabSize"/> (the model's embedding rows; default: the tokenizer's vocabulary size).
    /// </summary>
    public static BuiltExamples Build(JsonlDataset dataset, ITextTokenizer tokenizer, int sequenceLength,
        int? modelVocabSize = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var built = Build(dataset.Records, dataset.Source, tokenizer, sequenceLength, modelVocabSize);
        RequireExamples(built, dataset.Source, sequenceLength);
        return built;
    }

    internal static void RequireExamples(BuiltExamples built, string source, int sequenceLength)
    {
        if (built.Examples.Count == 0)
            throw new DatasetFormatException(source, null,
                $"no training examples: {built.DroppedNoLossTokens} prompt/completion record(s) had no completion tokens within {sequenceLength + 1} tokens");
    }

    /// <summary>As <see cref="Build(JsonlDataset, ITextTokenizer, int, int?)"/> for some of a dataset's records; may build none.</summary>
    internal static BuiltExamples Build(IEnumerable<DatasetRecord> records, string source, ITextTokenizer tokenizer,
        int sequenceLength, int? modelVocabSize)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        var vocab = modelVocabSize ?? tokenizer.VocabSize;

        var examples = new List<TrainingExample>();
        var packed = new List<int>();
        var promptCompletion = new List<TrainingExample>();
        int promptRecords = 0, truncated = 0, dropped = 0;
        foreach (var record in records)
        {
            if (record.IsTokenIds)
            {
                packed.AddRange(Checked(record.TokenIds!, record, source, vocab));
                continue;
            }
            if (record.IsText)
            {
                packed.AddRange(Checked(WithSpecials(tokenizer, [], tokenizer.Encode(record.Text!)), record, source, vocab));
                continue;
            }
            promptRecords++;
            var prompt = tokenizer.Encode(record.Prompt!);
            var completion = tokenizer.Encode(record.Completion!);
            var tokens = Checked(WithSpecials(tokenizer, prompt, completion), record, source, vocab);
            var promptLength = prompt.Length + (tokenizer.PrependedBosId is null ? 0 : 1);
            if (tokens.Length > sequenceLength + 1) truncated++;
            var example = Masked(tokens.AsSpan(0, Math.Min(tokens.Length, sequenceLength + 1)), promptLength);
            if (example is null || example.LossTokens == 0) dropped++;
            else promptCompletion.Add(example);
        }

        var packedCount = Pack(packed, sequenceLength, examples);
        examples.AddRange(promptCompletion);
        return new BuiltExamples(examples, packedCount, promptRecords, truncated, dropped);
    }

    /// <summary>bos? + first + second + eos?.</summary>
    private static int[] WithSpecials(ITextTokenizer tokenizer, int[] first, int[] second)
    {
        var tokens = new List<int>(first.Length + second.Length + 2);
        if (tokenizer.PrependedBosId is { } bos) tokens.Add(bos);
        tokens.AddRange(first);
        tokens.AddRange(second);
        if (tokenizer.EosId is { } eos) tokens.Add(eos);
        return [.. tokens];
    }

    private static int[] Checked(int[] tokens, DatasetRecord record, string source, int vocab)
    {
        foreach (var id in tokens)
        {
            if (id < 0 || id >= vocab)
                throw new DatasetFormatException(source, record.Line,
                    $"token id {id} is outside the model's vocabulary (size {vocab})");
        }
        return tokens;
    }

    /// <summary>
    /// Windows start every T tokens and hold T+1, so consecutive windows share one token and every
    /// next-token transition of the stream is trained exactly once. A final window needs ≥ 2 tokens.
    /// </summary>
    private static int Pack(List<int> stream, int sequenceLength, List<TrainingExample> output)
    {
        var count = 0;
        for (var start = 0; stream.Count - start >= 2; start += sequenceLength)
        {
            var length = Math.Min(sequenceLength + 1, stream.Count - start);
            var window = stream.GetRange(start, length);
            output.Add(new TrainingExample([.. window.Take(length - 1)], [.. window.Skip(1)]));
            count++;
        }
        return count;
    }

    /// <summary>Loss only where the target (tokens[t+1]) is a completion token or eos; null if under 2 tokens.</summary>
    private static TrainingExample? Masked(ReadOnlySpan<int> tokens, int promptLength)
    {
        if (tokens.Length < 2) return null;
        var inputs = tokens[..^1].ToArray();
        var labels = new int[inputs.Length];
        for (var t = 0; t < labels.Length; t++)
            labels[t] = t + 1 < promptLength ? TrainingExample.IgnoreIndex : tokens[t + 1];
        return new TrainingExample(inputs, labels);
    }
}
