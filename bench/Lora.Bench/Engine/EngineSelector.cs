using Lora.Training.Engine;
using Lora.Training.Model;
using Lora.Training.Tokenization;

namespace Lora.Bench.Engine;

/// <summary>
/// Benchmarks the src engine when it can train; otherwise the patched copy, and says why. At dd6d17f src fails:
/// (1) AdapterParameters.Create: <c>nn.Parameter(flat)</c> moves flat's handle before <c>zeros_like(flat)</c> reads
/// it → every TrainingEngine.OpenAsync throws "Tensor invalid -- empty handle";
/// (2) AdapterParameters.View/ViewB: <c>unflatten(-1, …)</c> → "Invalid 'dim' argument: -1" on every LoRA layer.
/// The probe re-checks each run, so the real engine is used as soon as src is fixed.
/// </summary>
public static class EngineSelector
{
    public static List<string> Failures { get; } = [];

    public static async Task<IStepEngine> CreateAsync(string id, LlamaForCausalLM model, ITextTokenizer tokenizer, EngineOptions options)
    {
        var real = new RealEngine(id, model, tokenizer, options);
        try
        {
            var session = await real.OpenAsync(SyntheticJobs.Job(0, 1, 8, 8, model.Config.VocabSize));
            try { await real.StepAsync(session); }
            finally { await real.ReleaseAsync(session); }
            return real;
        }
        catch (Exception e)
        {
            real.Dispose();
            var reason = $"{e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("Lora.Training"))?.Trim()}";
            if (!Failures.Contains(reason)) Failures.Add(reason);
            Log.Info($"src TrainingEngine cannot train ({reason}); benchmarking the patched copy");
            return new PatchedEngine(id, model, tokenizer.PadId, options);
        }
    }
}
