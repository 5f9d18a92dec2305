using Lora.Training.Data;
using Lora.Training.Tests.Tokenization;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Data;

public sealed class PreparedDatasetTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ByteLevelBpeTokenizer _tok;

    public PreparedDatasetTests()
    {
        TokenizerFiles.WriteByteLevel(_dir.Path, 259);
        _tok = TokenizerLoader.Load(_dir.Path);
    }

    public void Dispose() => _dir.Dispose();

    private PreparedDataset Prepare(string jsonl, long seed) =>
        PreparedDataset.FromJsonl(JsonlDataset.Parse(jsonl, "d.jsonl"), _tok, 259, 16, 0.3, seed);

    [Fact]
    public void Records_are_split_before_packing_so_no_document_is_partly_train_and_partly_eval()
    {
        // Ten documents, each one letter 40 times: every one spans several windows of 16 tokens.
        var jsonl = string.Join('\n', "abcdefghij".Select(c => $"{{\"text\":\"{new string(c, 40)}\"}}"));
        var data = Prepare(jsonl, seed: 5);

        static HashSet<int> Letters(IEnumerable<TrainingExample> examples) =>
            [.. examples.SelectMany(e => e.InputIds.Concat(e.Labels)).Where(id => id is >= 'a' and <= 'j')];
        var train = Letters(data.Train);
        var eval = Letters(data.Eval);
        Assert.Equal(3, eval.Count);
        Assert.Equal(7, train.Count);
        Assert.Empty(train.Intersect(eval));
        Assert.Equal(data.Train.Count + data.Eval.Count, data.Stats.PackedExamples);

        var again = Prepare(jsonl, seed: 5);
        Assert.Equal(data.Eval.Select(e => e.InputIds), again.Eval.Select(e => e.InputIds));
        Assert.False(eval.SetEquals(Letters(Prepare(jsonl, seed: 6).Eval)));
    }
}
