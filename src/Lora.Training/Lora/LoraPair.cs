using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Lora;

/// <summary>The trainable low-rank factors of one linear layer: A (r, in) and B (out, r).</summary>
public sealed class LoraPair(Tensor a, Tensor b) : IDisposable
{
    public Tensor A { get; } = a;
    public Tensor B { get; } = b;
    public long Rank => A.shape[0];
    public long In => A.shape[1];
    public long Out => B.shape[0];

    /// <summary>Fresh factors: B = 0 so BA = 0 and the adapter starts as the identity change.</summary>
    public static LoraPair Create(long inFeatures, long outFeatures, LoraSettings settings, Generator generator,
        ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var a = empty(settings.Rank, inFeatures, dtype: dtype, device: device);
        using (no_grad())
        {
            if (settings.Init == LoraSettings.Gaussian)
                a.normal_(0, 1.0 / settings.Rank, generator: generator);
            else
            {
                // PEFT: kaiming_uniform_(a=√5) on (r, in) → bound = √(6 / ((1 + 5) · in)) = 1/√in.
                var bound = 1.0 / Math.Sqrt(inFeatures);
                a.uniform_(-bound, bound, generator: generator);
            }
        }
        var b = zeros(outFeatures, settings.Rank, dtype: dtype, device: device);
        return new LoraPair(a, b);
    }

    /// <summary>ΔW = scaling · B·A, shape (out, in).</summary>
    public Tensor DeltaWeight(double scaling) => B.matmul(A).mul(scaling);

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
