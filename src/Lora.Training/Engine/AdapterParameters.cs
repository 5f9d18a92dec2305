using Lora.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// One adapter's trainable state in the engine: all A/B factors in one flat float32 vector, the AdamW moments beside
/// it, the gradient of an unfinished accumulated step, and the adapter's own generator for dropout masks.
/// </summary>
public sealed class AdapterParameters : IDisposable
{
    private AdapterParameters(AdapterLayout layout, LoraSettings settings, Parameter flat, Tensor m, Tensor v, Generator generator)
    {
        Layout = layout;
        Settings = settings;
        Flat = flat;
        M = m;
        V = v;
        Generator = generator;
    }

    public AdapterLayout Layout { get; }
    public LoraSettings Settings { get; }
    public Parameter Flat { get; }    // (P)
    public Tensor M { get; }          // (P) first moment
    public Tensor V { get; }          // (P) second moment
    public Generator Generator { get; }
    public double Scaling => Settings.Scaling;

    /// <summary>(P) gradient summed over the micro-batches of an optimizer step that has not completed yet;
    /// null between steps. Fused passes build each pass's gradient per group, not in <see cref="Flat"/>'s .grad.</summary>
    private Tensor? _pending;

    internal void AccumulateGradient(Tensor grad)   // grad (P)
    {
        using var _ = no_grad();
        if (_pending is null) _pending = grad.detach().clone().DetachFromDisposeScope();
        else _pending.add_(grad);
    }

    /// <summary>The accumulated gradient (caller owns it), or null when this micro-batch is the step's first.</summary>
    internal Tensor? TakePendingGradient()
    {
        var pending = _pending;
        _pending = null;
        return pending;
    }

    internal void DropPendingGradient() => TakePendingGradient()?.Dispose();

    /// <summary>Parameters + gradients + two moments, in bytes.</summary>
    public long StateBytes => 4 * Layout.Size * sizeof(float);

    /// <summary>Fresh factors (B = 0), drawn in layout order from a generator seeded by the adapter's seed.</summary>
    public static AdapterParameters Create(AdapterLayout layout, LoraSettings settings, Device device)
    {
        var generator = new Generator((ulong)settings.Seed, device);
        var flat = zeros(layout.Size, device: device);
        using (no_grad())
        {
            foreach (var s in layout.Segments)
            {
                using var pair = LoraPair.Create(s.In, s.Out, settings, generator, device: device);
                using var a = flat.narrow(0, s.AOffset, (long)layout.Rank * s.In);
                using var flatA = pair.A.reshape(-1);
                a.copy_(flatA);
            }
        }
        // Moments first: nn.Parameter takes over flat's native handle.
        var m = zeros_like(flat);
        var v = zeros_like(flat);
        return new AdapterParameters(layout, settings, nn.Parameter(flat), m, v, generator);
    }

    /// <summary>Adopts trained factors (e.g. a PEFT adapter); fails naming the module whose shape does not fit.</summary>
    public static AdapterParameters FromWeights(AdapterLayout layout, AdapterWeights weights, Device device)
    {
        var p = Create(layout, weights.Settings, device);
        try
        {
            using var _ = no_grad();
            foreach (var s in layout.Segments)
            {
                var pair = weights.Find(s.ModulePath) ?? throw new InvalidDataException($"adapter has no factors for '{s.ModulePath}'.");
                if (pair.A.shape[0] != layout.Rank || pair.A.shape[1] != s.In || pair.B.shape[0] != s.Out || pair.B.shape[1] != layout.Rank)
                    throw new InvalidDataException($"{s.ModulePath}: adapter has A [{string.Join(", ", pair.A.shape)}], B [{string.Join(", ", pair.B.shape)}]; base expects A [{layout.Rank}, {s.In}], B [{s.Out}, {layout.Rank}].");
                using var a = p.A(s);
                using var b = p.B(s);
                a.copy_(pair.A);
                b.copy_(pair.B);
            }
            return p;
        }
        catch
        {
            p.Dispose();   // parameters, both moments and the generator are native memory
            throw;
        }
    }

    /// <summary>View of A (r, in) inside <see cref="Flat"/>.</summary>
    public Tensor A(LayoutSegment s) => View(Flat, s);

    /// <summary>View of B (out, r) inside <see cref="Flat"/>.</summary>
    public Tensor B(LayoutSegment s) => ViewB(Flat, s, Layout.Rank);

    /// <summary>A (…, r, in) of a segment inside a flat vector or a stack of them (…, P).</summary>
    public static Tensor View(Tensor flat, LayoutSegment s)
    {
        var rank = (s.BOffset - s.AOffset) / s.In;
        using var slice = flat.narrow(-1, s.AOffset, rank * s.In);
        return slice.unflatten(slice.dim() - 1, [rank, s.In]);   // unflatten rejects negative dims
    }

    /// <summary>B (…, out, r) of a segment inside a flat vector or a stack of them (…, P).</summary>
    public static Tensor ViewB(Tensor flat, LayoutSegment s, long rank)
    {
        using var slice = flat.narrow(-1, s.BOffset, rank * s.Out);
        return slice.unflatten(slice.dim() - 1, [s.Out, rank]);
    }

    /// <summary>A detached copy in PEFT's shape, keyed by HF module path.</summary>
    public AdapterWeights ToWeights()
    {
        using var _ = no_grad();
        var pairs = new Dictionary<string, LoraPair>();
        foreach (var s in Layout.Segments)
        {
            using var a = A(s);
            using var b = B(s);
            // clone() under no_grad is already detached; a detach() in between would be a handle nobody disposes,
            // keeping Flat's whole storage alive after the session is released, until a finalizer happens to run.
            pairs[s.ModulePath] = new LoraPair(a.clone(), b.clone());
        }
        return new AdapterWeights(Settings, pairs);
    }

    public void Dispose()
    {
        DropPendingGradient();
        Flat.grad?.Dispose();
        Flat.Dispose();
        M.Dispose();
        V.Dispose();
        Generator.Dispose();
    }
}
