using Lora.Training.Engine;
using Lora.Training.Model;
using Lora.Training.Runtime;
using Lora.Training.Tests.Checkpoints;
using Lora.Training.Tests.Model;
using Lora.Training.Tokenization;

namespace Lora.Training.Tests.Engine;

/// <summary>What an engine test needs: a tiny model and a byte-level tokenizer, freed with the test class.</summary>
internal sealed class EngineWorkspace : IDisposable
{
    private readonly TempDirectory _dir = new();

    public EngineWorkspace()
    {
        TorchRuntime.EnsureLoaded();
        TokenizerFiles.WriteByteLevel(_dir.Path, 512);
        Tokenizer = TokenizerLoader.Load(_dir.Path);
        Model = Tiny.Model();
    }

    public LlamaForCausalLM Model { get; }
    public ITextTokenizer Tokenizer { get; }

    public TrainingEngine Engine(EngineOptions? options = null) => new("tiny", Model, Tokenizer, options);

    public void Dispose()
    {
        Model.Dispose();
        _dir.Dispose();
    }
}
