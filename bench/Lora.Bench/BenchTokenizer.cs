using Lora.Training.Tokenization;

namespace Lora.Bench;

/// <summary>The engine only needs a pad id from its tokenizer; benchmarks feed token ids directly.</summary>
public sealed class BenchTokenizer(int vocabSize) : ITextTokenizer
{
    public int VocabSize => vocabSize;
    public int? BosId => null;
    public int? EosId => null;
    public int PadId => 0;
    public int[] Encode(string text) => throw new NotSupportedException("the benchmark feeds token ids directly.");
    public string Decode(IEnumerable<int> ids) => string.Join(" ", ids);
}
