namespace Lora.Reference;

/// <summary>
/// nn.Linear (y = x Wᵀ + b, W stored [out, in]) optionally wrapped by PEFT's lora.Linear, whose
/// inference forward is result = base_layer(x) + lora_B(lora_A(dropout(x))) * scaling
/// (dropout is the identity in eval mode). The LoRA path is kept factored, never merged into W,
/// so a bug in merging elsewhere cannot hide in the reference.
/// </summary>
public sealed class ReferenceLinear
{
    public ReferenceLinear(string name, DoubleTensor weight, DoubleTensor? bias, LoraPair? lora = null)
    {
        if (weight.Rank != 2) throw new InvalidDataException($"'{name}' weight must be 2-D.");
        Name = name;
        Weight = weight;
        OutFeatures = weight.Shape[0];
        InFeatures = weight.Shape[1];
        Bias = bias?.Expect(name + ".bias", OutFeatures);
        if (lora is not null && (lora.InFeatures != InFeatures || lora.OutFeatures != OutFeatures))
            throw new InvalidDataException(
                $"LoRA for '{name}' is [{lora.OutFeatures}x{lora.InFeatures}], layer is [{OutFeatures}x{InFeatures}].");
        Lora = lora;
    }

    /// <summary>HF module path, e.g. "model.layers.0.self_attn.q_proj"; the key PEFT adapters use.</summary>
    public string Name { get; }
    public DoubleTensor Weight { get; }
    public DoubleTensor? Bias { get; }
    public LoraPair? Lora { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>Applies the layer to each row of x ([T][in] → [T][out]).</summary>
    public double[][] Forward(double[][] x)
    {
        var y = new double[x.Length][];
        for (int t = 0; t < x.Length; t++)
        {
            if (x[t].Length != InFeatures) throw new ArgumentException($"'{Name}' expects {InFeatures} inputs, got {x[t].Length}.");
            y[t] = new double[OutFeatures];
        }

        double[] w = Weight.Data;
        // Rows of W are independent, so splitting them across threads keeps results bit-identical.
        Parallel.For(0, OutFeatures, o =>
        {
            var row = new ReadOnlySpan<double>(w, o * InFeatures, InFeatures);
            double b = Bias?.Data[o] ?? 0.0;
            for (int t = 0; t < x.Length; t++)
                y[t][o] = Dot(row, x[t]) + b;
        });

        if (Lora is not null)
        {
            // PEFT order: h = x Aᵀ (rank r), then scaling · h Bᵀ — never forming B·A.
            for (int t = 0; t < x.Length; t++)
            {
                var h = new double[Lora.Rank];
                for (int k = 0; k < Lora.Rank; k++)
                    h[k] = Dot(new ReadOnlySpan<double>(Lora.A.Data, k * InFeatures, InFeatures), x[t]);
                for (int o = 0; o < OutFeatures; o++)
                    y[t][o] += Lora.Scaling * Dot(new ReadOnlySpan<double>(Lora.B.Data, o * Lora.Rank, Lora.Rank), h);
            }
        }
        return y;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
