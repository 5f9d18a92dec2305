using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>
/// Copies checkpoint tensors into a model's own tensors by name. Checks everything before copying anything, so a
/// bad checkpoint leaves the model untouched and the error lists every problem at once.
/// </summary>
public static class StateDictBinder
{
    private const string LmHead = "lm_head.weight";
    private const string Embeddings = "model.embed_tokens.weight";

    /// <summary>
    /// Fills each target from the source tensor of the same name (converted to the target's dtype and device).
    /// Extra source tensors (e.g. rotary inv_freq buffers) are ignored. A missing lm_head.weight is filled from
    /// model.embed_tokens.weight, as tied-embedding checkpoints (TieWordEmbeddings) store only the latter.
    /// With <paramref name="allowMissing"/>, absent tensors keep their current values and are reported.
    /// </summary>
    /// <exception cref="InvalidDataException">names each mis-shaped tensor with both shapes and every missing tensor.</exception>
    public static BindResult Bind(IReadOnlyDictionary<string, Tensor> source, IEnumerable<(string Name, Tensor Target)> targets, bool allowMissing = false)
    {
        var plan = new List<(Tensor From, Tensor To)>();
        var problems = new List<string>();
        var missing = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var tiedHead = false;

        foreach (var (name, target) in targets)
        {
            var key = name;
            if (!source.ContainsKey(key) && key == LmHead && source.ContainsKey(Embeddings))
            {
                key = Embeddings;
                tiedHead = true;
            }
            if (!source.TryGetValue(key, out var from))
            {
                missing.Add(name);
                continue;
            }
            used.Add(key);
            if (!from.shape.SequenceEqual(target.shape))
                problems.Add($"{name}: checkpoint has {Shape(from)}, model expects {Shape(target)}");
            else
                plan.Add((from, target));
        }

        if (missing.Count > 0 && !allowMissing)
            problems.Add($"missing from checkpoint ({missing.Count}): {string.Join(", ", missing)}");
        if (problems.Count > 0)
            throw new InvalidDataException(string.Join(Environment.NewLine, problems));

        using (no_grad())
        {
            // copy_ converts dtype and device and returns the target itself: nothing temporary to dispose.
            foreach (var (from, to) in plan) to.copy_(from);
        }
        var ignored = source.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        return new BindResult(plan.Count, missing, ignored, tiedHead);
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
}
