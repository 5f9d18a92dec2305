using Lora.Training.Tokenization;

namespace Lora.Training.Data;

/// <summary>A dataset tokenised for one base model and split into train and held-out eval examples.</summary>
public sealed record PreparedDataset(IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval, BuiltExamples Stats)
{
    /// <summary>Parses JSONL, builds examples of at most <paramref name="seqLen"/> tokens and splits deterministically.</summary>
    public static PreparedDataset FromJsonl(JsonlDataset dataset, ITextTokenizer tokenizer, int modelVocab, int seqLen,
        double evalFraction, long seed)
    {
        var built = ExampleBuilder.Build(dataset, tokenizer, seqLen, modelVocab);
        if (built.Examples.Count == 0)
            throw new DatasetFormatException(dataset.Source, null, $"no usable training examples (every record was empty after tokenisation or had no completion tokens; {built.DroppedNoLossTokens} dropped).");
        var (train, eval) = DatasetSplit.Split(built.Examples, evalFraction, seed);
        return new PreparedDataset(train, eval, built);
    }
}
