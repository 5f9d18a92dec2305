using Lora.Training.Engine;
using Lora.Training.Lora;
using static TorchSharp.torch;

namespace Lora.Bench.Engine;

/// <summary>
/// src FusedLoraDelta at dd6d17f, verbatim except the A/B views: AdapterParameters.View/ViewB call
/// <c>unflatten(-1, …)</c>, which TorchSharp 0.107 rejects ("Invalid 'dim' argument: -1"); here the dim is positive.
/// </summary>
public sealed class PatchedLoraDelta : ILoraDelta
{
    private readonly IReadOnlyList<StepParticipant> _participants;
    private readonly IReadOnlyList<AdapterGroup> _groups;
    private readonly Tensor[] _stacked;
    private readonly Tensor[] _scale;
    private readonly bool _training;

    public PatchedLoraDelta(IReadOnlyList<StepParticipant> participants, IReadOnlyList<AdapterGroup> groups, bool training, Device device)
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

    public Tensor? Apply(int layer, string module, Tensor x)
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
            var xk = x.narrow(0, g.RowStart, rows).reshape(k, g.RowsPerAdapter * t, inFeatures);
            xk = ApplyDropout(g, xk);
            var a = ViewA(_stacked[gi], segment);
            var b = ViewB(_stacked[gi], segment, g.Layout.Rank);
            var h = xk.bmm(a.transpose(1, 2));
            var d = h.bmm(b.transpose(1, 2)).mul(_scale[gi]);
            parts.Add(d.reshape(rows, t, segment.Out));
        }
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }

    /// <summary>A (…, r, in) inside a flat vector or stack (…, P) — the fixed AdapterParameters.View.</summary>
    public static Tensor ViewA(Tensor flat, LayoutSegment s)
    {
        var rank = (s.BOffset - s.AOffset) / s.In;
        using var slice = flat.narrow(-1, s.AOffset, rank * s.In);
        return slice.unflatten(slice.dim() - 1, [rank, s.In]);
    }

    /// <summary>B (…, out, r) — the fixed AdapterParameters.ViewB.</summary>
    public static Tensor ViewB(Tensor flat, LayoutSegment s, long rank)
    {
        using var slice = flat.narrow(-1, s.BOffset, rank * s.Out);
        return slice.unflatten(slice.dim() - 1, [s.Out, rank]);
    }

    private Tensor ApplyDropout(AdapterGroup g, Tensor xk)
    {
        if (!_training || g.Members.All(i => _participants[i].Parameters.Settings.Dropout <= 0)) return xk;
        return stack(g.Members.Select((i, j) =>
        {
            var p = _participants[i].Parameters;
            return LoraMath.Dropout(xk[j], p.Settings.Dropout, true, p.Generator);
        }), 0);
    }
}
