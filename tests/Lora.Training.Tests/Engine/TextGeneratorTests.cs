using Lora.Training.Engine;

namespace Lora.Training.Tests.Engine;

public sealed class TextGeneratorTests : IDisposable
{
    private readonly EngineWorkspace _w = new();

    public void Dispose() => _w.Dispose();

    [Theory]
    [InlineData(1e-40)]
    [InlineData(1e-300)]
    public void A_vanishingly_small_temperature_samples_like_greedy_instead_of_failing(double temperature)
    {
        // logits / T overflows float32 for such T; the softmax of infinities is NaN, which multinomial rejects.
        var greedy = TextGenerator.Generate(_w.Model, _w.Tokenizer, null, "ab", 6);
        Assert.Equal(greedy, TextGenerator.Generate(_w.Model, _w.Tokenizer, null, "ab", 6, temperature, seed: 3));
    }
}
