namespace Lora.Reference;

/// <summary>
/// One PEFT LoRA update for a linear layer: lora_A.weight is [r, in], lora_B.weight is [out, r]
/// (nn.Linear convention, weight = [out_features, in_features]); the update is scaling · B·A.
/// </summary>
public sealed class LoraPair
{
    public LoraPair(DoubleTensor a, DoubleTensor b, double scaling)
    {
        if (a.Rank != 2 || b.Rank != 2 || b.Shape[1] != a.Shape[0])
            throw new InvalidDataException(
                $"LoRA A [{string.Join(",", a.Shape)}] and B [{string.Join(",", b.Shape)}] are not [r,in] / [out,r].");
        A = a;
        B = b;
        Scaling = scaling;
    }

    public DoubleTensor A { get; }
    public DoubleTensor B { get; }
    public double Scaling { get; }
    public int Rank => A.Shape[0];
    public int InFeatures => A.Shape[1];
    public int OutFeatures => B.Shape[0];

    /// <summary>The dense delta scaling · B·A, shape [out, in]; what PEFT's merge_and_unload adds to W.</summary>
    public DoubleTensor DeltaWeight()
    {
        var delta = new double[OutFeatures * InFeatures];
        for (int o = 0; o < OutFeatures; o++)
            for (int k = 0; k < Rank; k++)
            {
                double bk = Scaling * B[o, k];
                for (int i = 0; i < InFeatures; i++)
                    delta[o * InFeatures + i] += bk * A[k, i];
            }
        return new DoubleTensor([OutFeatures, InFeatures], delta);
    }
}
