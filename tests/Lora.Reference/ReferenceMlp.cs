namespace Lora.Reference;

/// <summary>HF LlamaMLP with hidden_act "silu": down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class ReferenceMlp
{
    public ReferenceMlp(ReferenceLinear gate, ReferenceLinear up, ReferenceLinear down)
    {
        if (gate.OutFeatures != up.OutFeatures || down.InFeatures != gate.OutFeatures || gate.InFeatures != up.InFeatures)
            throw new InvalidDataException("gate/up/down projection shapes are inconsistent.");
        GateProj = gate;
        UpProj = up;
        DownProj = down;
    }

    public ReferenceLinear GateProj { get; }
    public ReferenceLinear UpProj { get; }
    public ReferenceLinear DownProj { get; }

    public double[][] Forward(double[][] x)
    {
        double[][] gate = GateProj.Forward(x), up = UpProj.Forward(x);
        for (int t = 0; t < x.Length; t++)
            for (int i = 0; i < gate[t].Length; i++)
                gate[t][i] = Silu(gate[t][i]) * up[t][i];
        return DownProj.Forward(gate);
    }

    /// <summary>silu(z) = z · sigmoid(z) (ACT2FN["silu"] = nn.SiLU).</summary>
    public static double Silu(double z) => z / (1.0 + Math.Exp(-z));
}
