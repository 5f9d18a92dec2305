using Lora.Training.Lora;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// The LoRA paths of many adapters in one fused pass. Per group, the members' flat vectors are copied once per pass
/// into a (k, P) stack that does not require grad; each targeted (layer, module) gets its own autograd leaves A
/// (k, r, in) and B (k, out, r) that are views of that stack. Backward therefore writes exact-size gradients per
/// segment — views of one grad-requiring stack would make autograd allocate and zero a full (k, P) buffer for every
/// view (2 × layers × modules per pass). <see cref="GroupGradient"/> reassembles them into (k, P) in layout order.
/// Each adapter's factors only ever meet its own rows, so gradients never mix.
/// </summary>
public sealed class FusedLoraDelta : ILoraDelta
{
    private readonly IReadOnlyList<StepParticipant> _participants;
    private readonly IReadOnlyList<AdapterGroup> _groups;
    private readonly Tensor[] _stacked;   // per group (k, P), no grad
    private readonly Tensor[] _scale;     // per group (k, 1, 1)
    private readonly Dictionary<(int Group, LayoutSegment Segment), (Tensor A, Tensor B)> _leaves = new();
    private readonly Dictionary<(int, string), int?> _outFeatures = new();
    private readonly bool _training;

    /// <summary>Create inside the caller's dispose scope: stacks and leaves live as long as the pass.</summary>
    public FusedLoraDelta(IReadOnlyList<StepParticipant> participants, IReadOnlyList<AdapterGroup> groups, bool training, Device device)
    {
        _participants = participants;
        _groups = groups;
        _training = training;
        // A single member's stack is a view of its flat vector (no copy); the optimizer then updates it in place.
        _stacked = groups.Select(g => g.Members.Count == 1
            ? participants[g.Members[0]].Parameters.Flat.detach().unsqueeze(0)
            : stack(g.Members.Select(i => participants[i].Parameters.Flat.detach()), 0)).ToArray();
        _scale = groups.Select(g => tensor(g.Members.Select(i => (float)participants[i].Parameters.Scaling).ToArray(), device: device)
            .view(-1, 1, 1)).ToArray();
        // Leaves are made here, in the pass's scope: the model's layers run in scopes of their own that would
        // dispose anything created during forward.
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var layout = groups[gi].Layout;
            foreach (var s in layout.Segments)
            {
                // detach() makes the views leaves of their own; requires_grad_ then gives each an exact-size .grad.
                _leaves[(gi, s)] = (AdapterParameters.View(_stacked[gi], s).detach().requires_grad_(true),
                    AdapterParameters.ViewB(_stacked[gi], s, layout.Rank).detach().requires_grad_(true));
            }
        }
    }

    /// <summary>The group's stacked flat vectors (k, P): the parameters this pass saw, in member order.</summary>
    public Tensor Stacked(int group) => _stacked[group];

    public Tensor? Apply(int layer, string module, Tensor x)   // x (N, T, in) → (N, T, out)
    {
        if (!_outFeatures.TryGetValue((layer, module), out var outFeatures))
            _outFeatures[(layer, module)] = outFeatures = _groups.Select(g => g.Layout.Find(layer, module)).FirstOrDefault(s => s is not null)?.Out;
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
            var (a, b) = _leaves[(gi, segment)];                                                   // (k, r, in), (k, out, r)
            var h = xk.bmm(a.transpose(1, 2)).mul(_scale[gi]);                                     // (k, b·T, r): scale r-wide, not out-wide
            var d = h.bmm(b.transpose(1, 2));                                                      // (k, b·T, out)
            parts.Add(d.reshape(rows, t, segment.Out));
        }
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }

    /// <summary>After backward: the group's gradient (k, P) in layout order; zeros for segments no forward used.</summary>
    public Tensor GroupGradient(int group)
    {
        var layout = _groups[group].Layout;
        long k = _groups[group].Members.Count;
        var pieces = new List<Tensor>(2 * layout.Segments.Count);
        foreach (var s in layout.Segments)   // segments are in flat order: A then B, contiguous
        {
            var (a, b) = _leaves[(group, s)];
            pieces.Add(a.grad?.reshape(k, -1) ?? zeros(k, (long)layout.Rank * s.In, device: _stacked[group].device));
            pieces.Add(b.grad?.reshape(k, -1) ?? zeros(k, (long)layout.Rank * s.Out, device: _stacked[group].device));
        }
        return cat(pieces, 1);
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
