using Lora.Training.Data;
using Lora.Training.Model;

namespace Lora.Cli.Commands.Local;

/// <summary>Loads a local command's --data file for a base model.</summary>
internal static class LocalDataset
{
    /// <summary>Records cut or dropped to fit <paramref name="seqLen"/> are reported on <paramref name="error"/> (the
    /// invocation's stderr, so an embedding host or a test sees them): a loss over silently shortened data misleads.</summary>
    public static PreparedDataset Prepare(string path, BaseModel model, int seqLen, double evalFraction, long seed, TextWriter error,
        string? remedy = null)
    {
        var prepared = PreparedDataset.FromJsonl(JsonlDataset.Load(path), model.Tokenizer, model.Config.VocabSize, seqLen, evalFraction, seed);
        if (prepared.Stats.Notice(path, seqLen, remedy) is { } notice) error.WriteLine($"warning: {notice}");
        return prepared;
    }
}
