using Lora.Training.Tokenization;

namespace Lora.Bench;

/// <summary>Token ids written as space-separated integers: the engine benchmarks feed ids directly, and the cluster
/// benchmark's JSONL datasets round-trip through this without a vocabulary file.</summary>
public sealed class BenchTokenizer(int vocabSize) : ITextTokenizer
{
    public int VocabSize => vocabSize;
    public int? BosId => null;
    public int? EosId => null;
    public int? PrependedBosId => null;
    public int PadId => 0;
    public int[] Encode(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
    public string Decode(IEnumerable<int> ids) => string.Join(" ", ids);
}
