namespace Lora.Training.Tokenization;

/// <summary>Text ↔ token ids for one base model. Implementations are immutable and thread-safe.</summary>
public interface ITextTokenizer
{
    int VocabSize { get; }
    int? BosId { get; }
    int? EosId { get; }
    /// <summary>
    /// BosId when HuggingFace's tokenizer(text) puts it before the text, else null. Whatever builds model input from
    /// text (training examples, generation, evaluation) prepends this, not BosId: a model trained without BOS was
    /// never shown one.
    /// </summary>
    int? PrependedBosId { get; }
    /// <summary>Id used to pad batches; its positions never count in the loss.</summary>
    int PadId { get; }
    /// <summary>Encodes text without special tokens.</summary>
    int[] Encode(string text);
    /// <summary>Decodes ids, skipping special tokens.</summary>
    string Decode(IEnumerable<int> ids);
}
