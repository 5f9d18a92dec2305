using Lora.Training.Lora;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// The LoRA paths of many adapters in one fused pass. Per group, the members' flat vectors are stacked once per
/// pass into (k, P); each targeted layer then costs two batched products over (k, rows·T, in), however many
/// adapters the group holds. Each adapter's factors only ever meet its own rows, so gradients never mix.
/// </summary>
public sealed class FusedLoraDelta : ILoraDelta
{
    private readonly IReadOnlyList<StepParticipant> _participants;
    private readonly IReadOnlyList<AdapterGroup> _groups;
    private readonly Tensor[] _stacked;   // per group (k, P)
    private readonly Tensor[] _scale;     // per group (k, 1, 1)
    private readonly bool _training;

    /// <summary>Create inside the caller's dispose scope: the stacks live as long as the pass.</summary>
    public FusedLoraDelta(IReadOnlyList<StepParticipant> participants, IReadOnlyList<AdapterGroup> groups, bool training, Device device)
    {
        _participants = participants;
        _groups = groups;
        _training = training;
        _stacked = groups.Select(g => g.Members.Count == 1
            ? participants[g.Members[0]].Parameters.Flat.unsqueeze(0)
            : stack(g.Members.Select(i => (Tensor)participants[i].Parameters.Flat), 0)).ToArray();
        _scale = groups.Select(g => tensor(g.Members.Select(i => (float)participants[i].Parameters.Scaling).ToArray(), device: device)
            .view(-1, 1, 1)).ToArray();
    }

    public Tensor? Apply(int layer, string module, Tensor x)   // x (N, T, in) → (N, T, out)
    {
        var outFeatures = _groups.Select(g => g.Layout.Find(layer, module)).FirstOrDefault(s => s is not null)?.Out;
        if (outFeatures is null) return null;

        long t = x.shape[1], inFeatures = x.shape[2];
        var parts = new List<Tensor>(_groups.Count);
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var g = _groups[gi];
            int k = g.Members.Count, rows = k * g.RowsPerAdapter;
            var segment = g.Layout.Find(layer, module);
            if (segment is null)
            {
                parts.Add(zeros(rows, t, outFeatures.Value, device: x.device));
                continue;
            }
            var xk = x.narrow(0, g.RowStart, rows).reshape(k, g.RowsPerAdapter * t, inFeatures);   // (k, b·T, in)
            xk = ApplyDropout(g, xk);
            var a = AdapterParameters.View(_stacked[gi], segment);                                 // (k, r, in)
            var b = AdapterParameters.ViewB(_stacked[gi], segment, g.Layout.Rank);                 // (k, out, r)
            var h = xk.bmm(a.transpose(1, 2));                                                    // (k, b·T, r)
            var d = h.bmm(b.transpose(1, 2)).mul(_scale[gi]);                                      // (k, b·T, out)
            parts.Add(d.reshape(rows, t, segment.Out));
        }
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }

    private Tensor ApplyDropout(AdapterGroup g, Tensor xk)   // (k, b·T, in)
    {
        if (!_training || g.Members.All(i => _participants[i].Parameters.Settings.Dropout <= 0)) return xk;
        long t = xk.shape[1] / g.RowsPerAdapter, inFeatures = xk.shape[2];
        // Each adapter draws its mask from its own generator over exactly the positions a solo run would pad to
        // (its own longest sequence), so masks — and results — do not depend on who else shares the pass.
        return stack(g.Members.Select((i, j) =>
        {
            var p = _participants[i];
            var own = p.MicroBatch.Max(e => e.Length);
            var rows = xk[j].view(g.RowsPerAdapter, t, inFeatures);                 // (b, T, in)
            var dropped = LoraMath.Dropout(rows.narrow(1, 0, own), p.Parameters.Settings.Dropout, true, p.Parameters.Generator);
            var full = own == t ? dropped : cat([dropped, rows.narrow(1, own, t - own)], 1);
            return full.view(g.RowsPerAdapter * t, inFeatures);
        }), 0);
    }
}
