namespace Lora.Reference;

/// <summary>
/// HF LlamaRMSNorm: variance = mean(x²); x * rsqrt(variance + eps) * weight
/// (HF upcasts to float32 for this; the reference is in double throughout).
/// </summary>
public sealed class RmsNorm
{
    public RmsNorm(DoubleTensor weight, double eps)
    {
        if (weight.Rank != 1) throw new InvalidDataException("RMSNorm weight must be 1-D.");
        Weight = weight;
        Eps = eps;
    }

    public DoubleTensor Weight { get; }
    public double Eps { get; }

    public double[] Forward(ReadOnlySpan<double> x)
    {
        double sumSquares = 0;
        foreach (double v in x) sumSquares += v * v;
        double inverseRms = 1.0 / Math.Sqrt(sumSquares / x.Length + Eps);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = Weight.Data[i] * (x[i] * inverseRms);
        return y;
    }

    public double[][] Forward(double[][] rows) => rows.Select(r => Forward(r)).ToArray();
}
