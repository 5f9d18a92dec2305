using Lora.Training.Tokenization;

namespace Lora.Training.Data;

/// <summary>A dataset tokenised for one base model and split into train and held-out eval examples.</summary>
public sealed record PreparedDataset(IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval, BuiltExamples Stats)
{
    /// <summary>
    /// Parses JSONL, splits its records deterministically, then builds examples of at most <paramref name="seqLen"/>
    /// tokens from each part. Records are split before packing: a packed window spans neighbouring records, so a split
    /// of windows would put parts of one document on both sides and make the eval loss optimistic.
    /// </summary>
    public static PreparedDataset FromJsonl(JsonlDataset dataset, ITextTokenizer tokenizer, int modelVocab, int seqLen,
        double evalFraction, long seed)
    {
        var (trainRecords, evalRecords) = DatasetSplit.Split(dataset.Records, evalFraction, seed);
        var train = ExampleBuilder.Build(trainRecords, dataset.Source, tokenizer, seqLen, modelVocab);
        var eval = ExampleBuilder.Build(evalRecords, dataset.Source, tokenizer, seqLen, modelVocab);
        var stats = new BuiltExamples([.. train.Examples, .. eval.Examples], train.PackedExamples + eval.PackedExamples,
            train.PromptCompletionRecords + eval.PromptCompletionRecords,
            train.TruncatedPromptCompletion + eval.TruncatedPromptCompletion, train.DroppedNoLossTokens + eval.DroppedNoLossTokens);
        ExampleBuilder.RequireExamples(train, dataset.Source, seqLen);
        return new PreparedDataset(train.Examples, eval.Examples, stats);
    }
}
