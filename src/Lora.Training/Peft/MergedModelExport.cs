using Lora.Training.Lora;
using static TorchSharp.torch;

namespace Lora.Training.Peft;

/// <summary>
/// Folds an adapter into base weights (W' = W + scaling·B·A) so the result is a plain model any runtime can serve.
/// </summary>
public static class MergedModelExport
{
    /// <summary>
    /// Returns a new state dict in which every targeted <c>&lt;module path&gt;.weight</c> is a new merged tensor
    /// (computed in fp32, cast back to W's dtype and device). All other entries are the base's own tensors, not
    /// copies — so a full model is not duplicated in memory — and stay owned by the base: dispose only the merged
    /// entries (the keys of <see cref="MergedKeys"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">a targeted weight is absent or mis-shaped, or the merge is not finite
    /// (like PEFT's safe_merge, a broken adapter never reaches an exported model).</exception>
    public static Dictionary<string, Tensor> Merge(IReadOnlyDictionary<string, Tensor> baseStateDict, AdapterWeights adapter)
    {
        var result = new Dictionary<string, Tensor>(baseStateDict, StringComparer.Ordinal);
        var merged = new List<Tensor>();
        var scaling = adapter.Settings.Scaling;
        try
        {
            using var _ = no_grad();
            foreach (var (path, pair) in adapter.Pairs.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                var key = path + ".weight";
                if (!baseStateDict.TryGetValue(key, out var w))
                    throw new InvalidDataException($"{path}: the base model has no tensor '{key}' to merge the adapter into.");
                if (!w.shape.SequenceEqual([pair.Out, pair.In]))
                    throw new InvalidDataException($"{path}: base weight is [{string.Join(", ", w.shape)}] but the adapter's B·A is [{pair.Out}, {pair.In}].");

                using var scope = NewDisposeScope();
                var a = pair.A.to(ScalarType.Float32, w.device);
                var b = pair.B.to(ScalarType.Float32, w.device);
                var sum = w.to(ScalarType.Float32).add(b.matmul(a), alpha: scaling); // [out, r]·[r, in] = [out, in]
                if (!isfinite(sum).all().item<bool>())
                    throw new InvalidDataException($"{path}: merged weight contains NaN or Inf; refusing to merge (the adapter is broken).");
                var cast = sum.dtype == w.dtype ? sum : sum.to(w.dtype);
                merged.Add(cast.MoveToOuterDisposeScope());
                result[key] = cast;
            }
            return result;
        }
        catch
        {
            foreach (var t in merged) t.Dispose();
            throw;
        }
    }

    /// <summary>The state-dict keys <see cref="Merge"/> replaces with new tensors for this adapter.</summary>
    public static IEnumerable<string> MergedKeys(AdapterWeights adapter) => adapter.Pairs.Keys.Select(p => p + ".weight");
}
