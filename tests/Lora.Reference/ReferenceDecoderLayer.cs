namespace Lora.Reference;

/// <summary>
/// HF LlamaDecoderLayer (pre-norm): h = x + self_attn(input_layernorm(x));
/// out = h + mlp(post_attention_layernorm(h)).
/// </summary>
public sealed class ReferenceDecoderLayer
{
    public ReferenceDecoderLayer(RmsNorm inputNorm, ReferenceAttention attention, RmsNorm postAttentionNorm, ReferenceMlp mlp)
    {
        InputNorm = inputNorm;
        Attention = attention;
        PostAttentionNorm = postAttentionNorm;
        Mlp = mlp;
    }

    public RmsNorm InputNorm { get; }
    public ReferenceAttention Attention { get; }
    public RmsNorm PostAttentionNorm { get; }
    public ReferenceMlp Mlp { get; }

    public double[][] Forward(double[][] x)
    {
        double[][] h = AddRows(x, Attention.Forward(InputNorm.Forward(x)));
        return AddRows(h, Mlp.Forward(PostAttentionNorm.Forward(h)));
    }

    private static double[][] AddRows(double[][] residual, double[][] update)
    {
        var sum = new double[residual.Length][];
        for (int t = 0; t < residual.Length; t++)
        {
            sum[t] = new double[residual[t].Length];
            for (int i = 0; i < sum[t].Length; i++) sum[t][i] = residual[t][i] + update[t][i];
        }
        return sum;
    }
}
