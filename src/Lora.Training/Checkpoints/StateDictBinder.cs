using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>
/// Copies checkpoint tensors into a model's own tensors by name. Checks everything before copying anything, so a
/// bad checkpoint leaves the model untouched and the error lists every problem at once.
/// </summary>
public static class StateDictBinder
{
    /// <summary>
    /// Fills each target from the source tensor of the same name (converted to the target's dtype and device).
    /// Extra source tensors (e.g. rotary inv_freq buffers) are reported as ignored. A tied model has no lm_head target
    /// at all; an untied one whose checkpoint lacks lm_head.weight is a missing tensor, never the embeddings in its
    /// place (transformers would start that head at random, so it would be a different model). With <paramref name="allowMissing"/>, absent tensors keep their current values and are reported.
    /// </summary>
    /// <exception cref="InvalidDataException">names each mis-shaped tensor with both shapes and every missing tensor.</exception>
    public static BindResult Bind(IReadOnlyDictionary<string, Tensor> source, IEnumerable<(string Name, Tensor Target)> targets, bool allowMissing = false)
    {
        var plan = new List<(Tensor From, Tensor To)>();
        var problems = new List<string>();
        var missing = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (name, target) in targets)
        {
            var key = name;
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
        return new BindResult(plan.Count, missing, ignored);
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
}
