using Lora.Training.Engine;
using Lora.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>
/// Prototype of the proposed engine change. All adapters of one layout live as rows of one (K, P) slab (no grad).
/// Each (layer, module) gets two autograd LEAVES that are views into the slab — A (K, r, in), B (K, out, r) — so
/// backward writes exact-size gradients (today every narrow/unflatten view of the stacked flat vector makes
/// autograd allocate and zero a full (K, P) buffer: 2 × layers × modules of them per pass). The optimizer gathers
/// the leaf grads into one (K, P) tensor and runs clip + AdamW once over all adapters, updating the slab — and so
/// the leaves — in place. The LoRA scale multiplies the rank-r intermediate instead of the out-wide delta.
/// </summary>
public sealed class SlabVariant : IStepVariant
{
    private readonly Tensor _slab;        // (K, P), storage only
    private readonly Dictionary<(int, string), (Tensor A, Tensor B)> _leaves = new();
    private readonly Tensor _m, _v;       // (K, P)
    private readonly Tensor _scale;       // (K, 1, 1)
    private readonly Tensor _maxNorm;     // (K, 1)
    private readonly AdapterLayout _layout;
    private readonly EngineVariant _batchSource;
    private long _step;

    public SlabVariant(IReadOnlyList<AdapterJob> jobs)
    {
        _batchSource = new EngineVariant("slab-source", jobs);
        _layout = _batchSource.Participants[0].Parameters.Layout;
        using (no_grad())
        {
            var init = stack(_batchSource.Participants.Select(p => (Tensor)p.Parameters.Flat), 0);
            _slab = init;
        }
        long k = _slab.shape[0], r = _layout.Rank;
        foreach (var seg in _layout.Segments)
        {
            using var a = _slab.narrow(1, seg.AOffset, r * seg.In);
            using var b = _slab.narrow(1, seg.BOffset, r * seg.Out);
            _leaves[(seg.Layer, seg.Module)] = (a.view(k, r, seg.In).detach().requires_grad_(true),
                b.view(k, seg.Out, r).detach().requires_grad_(true));
        }
        _m = zeros_like(_slab);
        _v = zeros_like(_slab);
        _scale = tensor(jobs.Select(j => (float)j.Lora.Scaling).ToArray()).view(-1, 1, 1);
        _maxNorm = tensor(jobs.Select(j => (float)j.Training.MaxGradNorm).ToArray()).view(-1, 1);
    }

    public string Name => "segment_slab";
    public IReadOnlyList<StepParticipant> Participants => _batchSource.Participants;

    public ILoraDelta CreateDelta(FusedBatch batch) => new SlabDelta(this, batch.Groups[0].RowsPerAdapter);

    private sealed class SlabDelta(SlabVariant owner, int rowsPerAdapter) : ILoraDelta
    {
        public Tensor? Apply(int layer, string module, Tensor x)
        {
            var s = owner._layout.Find(layer, module);
            if (s is null) return null;
            long k = owner._slab.shape[0], t = x.shape[1];
            var xk = x.reshape(k, rowsPerAdapter * t, s.In);
            var (a, b) = owner._leaves[(layer, module)];                          // (k, r, in), (k, out, r) leaves
            var h = xk.bmm(a.transpose(1, 2)).mul(owner._scale);                  // (k, bT, r): scale on r, not out
            return h.bmm(b.transpose(1, 2)).view(x.shape[0], t, s.Out);
        }
    }

    public void Optimize(FusedBatch batch, double[] losses)
    {
        _step++;
        var s = Participants[0].Settings;
        double lr = Participants[0].LearningRate, b1 = s.Beta1, b2 = s.Beta2;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grad = cat(_layout.Segments.SelectMany(seg =>
        {
            var (a, b) = _leaves[(seg.Layer, seg.Module)];
            return new[] { a.grad!.flatten(1), b.grad!.flatten(1) };
        }).ToArray(), 1);                                                          // (K, P) in layout order
        var norms = grad.norm(1, true, 2);                                         // (K, 1) — one op for all adapters
        var host = norms.data<float>().ToArray();                                  // one readback: finiteness + reporting
        if (host.Any(n => !float.IsFinite(n))) throw new InvalidOperationException("prototype: non-finite grad");
        grad.mul_(_maxNorm.div(norms.add(1e-6)).clamp_max(1.0));                   // per-row clip
        _m.mul_(b1).add_(grad, alpha: 1 - b1);
        _v.mul_(b2).addcmul_(grad, grad, value: 1 - b2);
        // Per-row bias correction would be a (K, 1) column when steps differ; equal here.
        var denom = _v.sqrt().div_(Math.Sqrt(1 - Math.Pow(b2, _step))).add_(s.Epsilon);
        _slab.addcdiv_(_m, denom, value: -lr / (1 - Math.Pow(b1, _step)));
        foreach (var (a, b) in _leaves.Values) { a.grad!.zero_(); b.grad!.zero_(); }
    }

    public void Dispose()
    {
        foreach (var (a, b) in _leaves.Values) { a.grad?.Dispose(); b.grad?.Dispose(); a.Dispose(); b.Dispose(); }
        _slab.Dispose();
        _m.Dispose();
        _v.Dispose();
        _scale.Dispose();
        _maxNorm.Dispose();
        _batchSource.Dispose();
    }
}
