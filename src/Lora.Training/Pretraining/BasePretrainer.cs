using System.Diagnostics;
using Lora.Training.Data;
using Lora.Training.Model;
using Lora.Training.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Training.Pretraining;

/// <summary>How a base is pretrained. Defaults are the built-in model's (≈5 minutes on a 2-core CPU).</summary>
public sealed record PretrainSettings
{
    public int Steps { get; init; } = 600;
    /// <summary>Sequences per step; each is a random window of the token stream.</summary>
    public int BatchSize { get; init; } = 16;
    public int SeqLen { get; init; } = 128;
    public double LearningRate { get; init; } = 3e-3;
    public int WarmupSteps { get; init; } = 40;
    /// <summary>Cosine decays to this share of the peak rather than 0, so the last steps still learn.</summary>
    public double MinLrFraction { get; init; } = 0.05;
    /// <summary>Applied to matrices only; decaying norm gains toward 0 would fight the normalisation.</summary>
    public double WeightDecay { get; init; } = 0.1;
    public double MaxGradNorm { get; init; } = 1.0;
    public long Seed { get; init; }
    public int LogEvery { get; init; } = 25;
}

/// <summary>Outcome of pretraining: smoothed train loss at the end and the loss curve (one point per log).</summary>
public sealed record PretrainResult(double FinalTrainLoss, double InitialLoss, long Tokens, TimeSpan Duration,
    IReadOnlyList<LossPoint> Curve);

/// <summary>
/// Full-parameter causal-LM pretraining of a <see cref="LlamaForCausalLM"/> on a byte-level token stream, with
/// AdamW, linear warmup + cosine decay and gradient clipping. The model's parameters are frozen by construction
/// (adapters never touch them); they are unfrozen for the run and frozen again on the way out, even on failure.
/// Deterministic for a seed on one machine: init is the caller's (InitializeRandom(seed)) and windows come from a
/// fixed-algorithm RNG.
/// </summary>
public sealed class BasePretrainer(LlamaForCausalLM model, PretrainSettings settings)
{
    public PretrainResult Train(int[] stream, TextWriter? log = null)
    {
        var s = settings;
        if (stream.Length < s.SeqLen + 2) throw new ArgumentException($"token stream of {stream.Length} tokens is shorter than one window of {s.SeqLen + 1}.");
        if (s.SeqLen > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"seq_len {s.SeqLen} exceeds max_position_embeddings {model.Config.MaxPositionEmbeddings}.");
        var parameters = model.parameters().ToList();
        foreach (var p in parameters) p.requires_grad_(true);
        var matrices = model.parameters().Where(p => p.dim() >= 2).ToList();
        var vectors = model.parameters().Where(p => p.dim() < 2).ToList();
        var optimizer = optim.AdamW([
            new AdamW.ParamGroup(matrices, new AdamW.Options { weight_decay = s.WeightDecay }),
            new AdamW.ParamGroup(vectors, new AdamW.Options { weight_decay = 0 }),
        ], s.LearningRate, 0.9, 0.95);
        var rng = new StableRandom((ulong)s.Seed ^ 0xB15E_0000_0000_0001UL);
        var clock = Stopwatch.StartNew();
        var curve = new List<LossPoint>();
        double smoothed = double.NaN, initial = double.NaN;
        long tokens = 0;
        try
        {
            model.train();
            for (var step = 0; step < s.Steps; step++)
            {
                using var scope = NewDisposeScope();
                foreach (var g in optimizer.ParamGroups) g.LearningRate = LearningRate(step);
                var (input, target) = Batch(stream, rng);                          // (B, T) each
                var logits = model.Forward(input);                                  // (B, T, V)
                var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), target.view(-1));
                optimizer.zero_grad();
                loss.backward();
                if (s.MaxGradNorm > 0) nn.utils.clip_grad_norm_(parameters, s.MaxGradNorm);
                optimizer.step();
                var value = loss.item<float>();
                if (!float.IsFinite(value)) throw new InvalidOperationException($"pretraining diverged at step {step + 1} (loss {value}).");
                tokens += (long)s.BatchSize * s.SeqLen;
                if (step == 0) initial = value;
                // An EMA over ~50 steps: one batch's loss is too noisy to be "the final loss".
                smoothed = double.IsNaN(smoothed) ? value : 0.98 * smoothed + 0.02 * value;
                if ((step + 1) % s.LogEvery == 0 || step + 1 == s.Steps)
                {
                    curve.Add(new LossPoint(step + 1, smoothed));
                    log?.WriteLine($"pretrain step {step + 1}/{s.Steps}  loss {smoothed:F3}  lr {LearningRate(step):E2}  " +
                                   $"{tokens / clock.Elapsed.TotalSeconds:F0} tok/s  {clock.Elapsed.TotalSeconds:F0}s");
                }
            }
        }
        finally
        {
            model.eval();
            optimizer.zero_grad();
            foreach (var p in parameters) p.requires_grad_(false);
            optimizer.Dispose();
        }
        return new PretrainResult(smoothed, initial, tokens, clock.Elapsed, curve);
    }

    /// <summary>Linear warmup to the peak, then cosine down to MinLrFraction of it at the last step.</summary>
    public double LearningRate(int step)
    {
        var s = settings;
        if (step < s.WarmupSteps) return s.LearningRate * (step + 1) / s.WarmupSteps;
        var progress = Math.Clamp((double)(step - s.WarmupSteps) / Math.Max(1, s.Steps - s.WarmupSteps), 0, 1);
        var floor = s.LearningRate * s.MinLrFraction;
        return floor + (s.LearningRate - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    private (Tensor Input, Tensor Target) Batch(int[] stream, StableRandom rng)
    {
        int b = settings.BatchSize, t = settings.SeqLen;
        var input = new long[b * t];
        var target = new long[b * t];
        for (var row = 0; row < b; row++)
        {
            var start = rng.NextInt(stream.Length - t);
            for (var i = 0; i < t; i++)
            {
                input[row * t + i] = stream[start + i];
                target[row * t + i] = stream[start + i + 1];
            }
        }
        return (tensor(input, [b, t], device: model.Device), tensor(target, [b, t], device: model.Device));
    }

    /// <summary>bos (where the tokenizer adds one) + bytes + eos per document, concatenated: the stream windows are cut from.</summary>
    public static int[] Tokenize(IEnumerable<string> documents, ITextTokenizer tokenizer)
    {
        var stream = new List<int>();
        foreach (var doc in documents)
        {
            if (tokenizer.PrependedBosId is { } bos) stream.Add(bos);
            stream.AddRange(tokenizer.Encode(doc));
            if (tokenizer.EosId is { } eos) stream.Add(eos);
        }
        return [.. stream];
    }

    /// <summary>Mean next-token loss (nats) over consecutive windows of <paramref name="seqLen"/>+1 tokens.</summary>
    public static double Evaluate(LlamaForCausalLM model, int[] stream, int seqLen, int maxWindows = 64)
    {
        using var _ = no_grad();
        double sum = 0;
        long count = 0;
        for (var start = 0; start + 1 < stream.Length && maxWindows-- > 0; start += seqLen)
        {
            using var scope = NewDisposeScope();
            var length = Math.Min(seqLen, stream.Length - 1 - start);
            var input = tensor(stream.AsSpan(start, length).ToArray().Select(i => (long)i).ToArray(), [1, length], device: model.Device);
            var target = tensor(stream.AsSpan(start + 1, length).ToArray().Select(i => (long)i).ToArray(), [length], device: model.Device);
            var logits = model.Forward(input)[0];                                   // (T, V)
            sum += nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.Sum).item<float>();
            count += length;
        }
        return sum / count;
    }

    /// <summary>Entropy (nats/token) of the stream's own token frequencies: the best any unigram model does on it.</summary>
    public static double UnigramEntropy(int[] stream)
    {
        var counts = stream.GroupBy(i => i).Select(g => (double)g.Count());
        return -counts.Sum(c => c / stream.Length * Math.Log(c / stream.Length));
    }
}
