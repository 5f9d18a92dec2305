using System.Globalization;
using Lora.Training.Model;
using Lora.Training.Tokenization;

namespace Lora.Training.Pretraining;

/// <summary>What <see cref="BuiltinModel.Produce(string, TextWriter, long)"/> measured; the same numbers go into the model's README.md.</summary>
public sealed record BuiltinReport(PretrainResult Pretrain, double HeldOutEnglishLoss, double HeldOutSyntheticLoss,
    double UnigramEntropy, double RandomInitLoss, long CorpusTokens, long Parameters, IReadOnlyList<TaskDemoResult> Demo);

/// <summary>
/// The product's built-in base model (models/builtin-tiny): a ~0.8 M-parameter Llama-layout byte-level model,
/// pretrained here from a seed so anyone can rebuild the committed files (`lora model pretrain-builtin`).
/// </summary>
public static class BuiltinModel
{
    public const string RelativePath = "models/builtin-tiny";
    /// <summary>Overrides every lookup of <see cref="DefaultPath"/> when set.</summary>
    public const string PathVariable = "LORA_BUILTIN_MODEL";
    private const string SolutionFile = "LoraCluster.sln";

    /// <summary>Shape of the built-in model: ≈ 0.79 M parameters, 3.2 MB as float32.</summary>
    public static LlamaConfig Config { get; } = new()
    {
        VocabSize = 260,                  // 256 bytes + <s>, </s>, <pad>, rounded to an even size
        HiddenSize = 128,
        IntermediateSize = 344,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 128,
        RopeTheta = 10000,
        BosTokenId = TokenizerFiles.BosId,
        EosTokenId = TokenizerFiles.EosId,
    };

    /// <summary>Pretraining settings of the committed model (≈ 5 minutes on a 2-core CPU).</summary>
    public static PretrainSettings PretrainSettings(long seed) => new() { Seed = seed };

    /// <summary>Characters of synthetic text mixed with the ~150 KB of licence text.</summary>
    public const int SyntheticChars = 160_000;

    /// <summary>Builds the whole built-in model into <paramref name="outDir"/>: corpus, pretraining, save, demo, README.</summary>
    public static BuiltinReport Produce(string outDir, TextWriter log, long seed = 0) =>
        Produce(outDir, log, seed, PretrainSettings(seed), new AdapterDemoSettings { Seed = seed });

    /// <summary>As <see cref="Produce(string, TextWriter, long)"/> with explicit settings; null demo skips the adapters.</summary>
    public static BuiltinReport Produce(string outDir, TextWriter log, long seed, PretrainSettings settings, AdapterDemoSettings? demo)
    {
        Directory.CreateDirectory(outDir);
        // The tokenizer is written first so the corpus is encoded by exactly the files that ship with the model.
        TokenizerFiles.WriteByteLevel(outDir, Config.VocabSize);
        var tokenizer = TokenizerLoader.Load(outDir);
        var stream = BasePretrainer.Tokenize(PretrainCorpus.Documents(seed, SyntheticChars), tokenizer);
        var heldOutEnglish = BasePretrainer.Tokenize([PretrainCorpus.ReadLicense(PretrainCorpus.HeldOutLicense)], tokenizer);
        var heldOutSynthetic = HeldOutSynthetic(seed, tokenizer);
        log.WriteLine($"corpus: {stream.Length} tokens (licences sha256 {PretrainCorpus.LicenseDigest()[..16]}…)");

        using var model = LlamaForCausalLM.Create(Config).InitializeRandom(seed);
        var parameters = model.parameters().Sum(p => p.numel());
        var randomLoss = BasePretrainer.Evaluate(model, heldOutEnglish, Config.MaxPositionEmbeddings);
        log.WriteLine($"model: {parameters} parameters; random-init held-out loss {randomLoss:F3}");
        var result = new BasePretrainer(model, settings).Train(stream, log);
        var english = BasePretrainer.Evaluate(model, heldOutEnglish, Config.MaxPositionEmbeddings);
        var synthetic = BasePretrainer.Evaluate(model, heldOutSynthetic, Config.MaxPositionEmbeddings);
        var unigram = BasePretrainer.UnigramEntropy(heldOutEnglish);
        log.WriteLine($"pretrain final loss {result.FinalTrainLoss:F3} (from {result.InitialLoss:F3}) in {result.Duration.TotalSeconds:F0}s; " +
                      $"held-out {PretrainCorpus.HeldOutLicense} {english:F3}, synthetic {synthetic:F3}, unigram entropy {unigram:F3} nats/token");
        BaseModel.Save(outDir, model, "float32");

        var demoResults = demo is null ? [] : AdapterDemo.RunAsync(model, tokenizer, demo, log).GetAwaiter().GetResult();
        var report = new BuiltinReport(result, english, synthetic, unigram, randomLoss, stream.Length, parameters, demoResults);
        File.WriteAllText(Path.Combine(outDir, "README.md"), BuiltinReadme.Render(report, settings, demo, seed));
        return report;
    }

    /// <summary>Synthetic text from a seed the corpus never uses, so it is unseen but of the trained kind.</summary>
    public static int[] HeldOutSynthetic(long seed, ITextTokenizer tokenizer)
    {
        var words = PretrainCorpus.Vocabulary([PretrainCorpus.ReadLicense("BSD")]);
        return BasePretrainer.Tokenize(PretrainCorpus.Synthetic(seed + 7_777_777, 8_000, words), tokenizer);
    }

    /// <summary>
    /// Finds models/builtin-tiny: $LORA_BUILTIN_MODEL if set; else next to the executable (a published app that
    /// copied the folder); else the first ancestor of AppContext.BaseDirectory, then of the working directory, that
    /// holds LoraCluster.sln. Needs no MSBuild item or copy step, so `dotnet run`, tests and bin/ layouts all work.
    /// </summary>
    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } overridden)
            return Directory.Exists(overridden) ? Path.GetFullPath(overridden)
                : throw new DirectoryNotFoundException($"{PathVariable}='{overridden}' does not exist.");
        var beside = Path.Combine(AppContext.BaseDirectory, RelativePath);
        if (File.Exists(Path.Combine(beside, "config.json"))) return Path.GetFullPath(beside);
        var searched = new List<string>();
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, SolutionFile))) continue;
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
                searched.Add(candidate);
                break;
            }
        }
        throw new DirectoryNotFoundException(
            $"built-in model not found: looked in {beside}" + (searched.Count > 0 ? ", " + string.Join(", ", searched) : "") +
            $" (no {SolutionFile} above {AppContext.BaseDirectory}?). Set {PathVariable} to the model directory, copy " +
            $"{RelativePath} next to the executable, or rebuild it with `lora model pretrain-builtin --out {RelativePath}`.");
    }

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
