using System.CommandLine;
using Lora.Abstractions;

namespace Lora.Cli.Commands.Cluster;

/// <summary>`lora submit`: uploads a JSONL dataset and starts one training job; prints the job id.</summary>
public static class SubmitCommand
{
    private static readonly JobSpec D = new() { JobId = "", BaseModel = "" };

    private static readonly Option<string> BaseModel = new("--base-model") { Description = "Base model id (see `lora models`)", Required = true };
    private static readonly Option<string> Data = new("--data") { Description = "JSONL dataset file", Required = true, HelpName = "FILE" };
    private static readonly Option<string> JobId = new("--job-id") { Description = "Job id (default: job-XXXXXXXX)" };
    private static readonly Option<int?> Rank = new("--rank") { Description = $"LoRA rank r (default {D.Rank})" };
    private static readonly Option<double?> Alpha = new("--alpha") { Description = $"LoRA alpha (default {D.Alpha})" };
    private static readonly Option<double?> Dropout = new("--dropout") { Description = $"LoRA dropout (default {D.Dropout})" };
    private static readonly Option<string> Targets = new("--targets") { Description = $"Target modules, comma-separated (default {string.Join(',', D.Targets)})" };
    private static readonly Option<bool> RsLora = new("--rslora") { Description = "Scale by alpha/sqrt(r) (rsLoRA)" };
    private static readonly Option<double?> Lr = new("--lr") { Description = $"Learning rate (default {D.LearningRate})" };
    private static readonly Option<int?> Steps = new("--steps") { Description = $"Optimizer steps (default {D.Steps})" };
    private static readonly Option<int?> BatchSize = new("--batch-size") { Description = $"Examples per step (default {D.BatchSize})" };
    private static readonly Option<int?> SeqLen = new("--seq-len") { Description = $"Tokens per example (default {D.SeqLen})" };
    private static readonly Option<long?> Seed = new("--seed") { Description = $"Random seed (default {D.Seed})" };
    private static readonly Option<int?> Warmup = new("--warmup-steps") { Description = $"Warm-up steps (default {D.WarmupSteps})" };
    private static readonly Option<string> Schedule = new("--schedule") { Description = $"Learning-rate schedule (default {D.Schedule})" };
    private static readonly Option<double?> EvalFraction = new("--eval-fraction") { Description = $"Share of records held out for eval loss (default {D.EvalFraction})" };
    private static readonly Option<int?> GradAccum = new("--grad-accum") { Description = $"Gradient accumulation steps (default {D.GradientAccumulation})" };
    private static readonly Option<int?> CheckpointEvery = new("--checkpoint-every") { Description = $"Checkpoint every N steps (default {D.CheckpointEverySteps})" };
    private static readonly Option<double?> CheckpointSeconds = new("--checkpoint-every-seconds") { Description = $"Also checkpoint after this many seconds, 0 = off (default {D.CheckpointEverySeconds})" };
    private static readonly Option<double?> WeightDecay = new("--weight-decay") { Description = $"AdamW weight decay (default {D.WeightDecay})" };
    private static readonly Option<double?> MaxGradNorm = new("--max-grad-norm") { Description = $"Gradient clipping norm (default {D.MaxGradNorm})" };
    private static readonly Option<bool> Json = new("--json") { Description = "Print {\"jobId\": ...} as JSON" };

    public static Command Create()
    {
        var command = new Command("submit", "Start a LoRA training job on the cluster");
        foreach (var o in new Option[] { BaseModel, Data, JobId, Rank, Alpha, Dropout, Targets, RsLora, Lr, Steps, BatchSize, SeqLen,
                     Seed, Warmup, Schedule, EvalFraction, GradAccum, CheckpointEvery, CheckpointSeconds, WeightDecay, MaxGradNorm, Json })
            command.Options.Add(o);
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            // Spec and dataset first: a typo in a flag or path must not wait for a connection attempt.
            Lora.Abstractions.JobSpec spec;
            string dataset;
            try
            {
                var settings = ReadSettings(parse);
                spec = settings.ToSpec();
                dataset = await ReadDatasetAsync(settings.DataFile, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return ClusterRunner.Fail(parse.InvocationConfiguration.Error, ClusterRunner.MessageOf(e));
            }
            return await ClusterRunner.RunAsync(parse, async (client, token) =>
            {
                Lora.Abstractions.JobStatus status;
                try { status = await client.StartTrainingAsync(spec, dataset, token); }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    // The submit may have landed before the cancel: the user needs the id to look.
                    return ClusterRunner.Fail(parse.InvocationConfiguration.Error, $"job '{spec.JobId}': canceled (check `lora status {spec.JobId}`)");
                }
                if (status.DatasetWarning is { } warning) parse.InvocationConfiguration.Error.WriteLine($"warning: {warning}");
                var stdout = parse.InvocationConfiguration.Output;
                if (parse.GetValue(Json)) ClusterJson.Print(stdout, new { jobId = status.JobId, baseModel = status.BaseModel, state = status.State });
                else stdout.WriteLine(status.JobId);
                return 0;
            }, ct);
        });
        return command;
    }

    /// <summary>Pure: the parsed flags as settings (tests use this without a cluster).</summary>
    public static SubmitSettings ReadSettings(ParseResult parse) => new()
    {
        BaseModel = parse.GetValue(BaseModel)!,
        DataFile = parse.GetValue(Data)!,
        JobId = parse.GetValue(JobId),
        Rank = parse.GetValue(Rank),
        Alpha = parse.GetValue(Alpha),
        Dropout = parse.GetValue(Dropout),
        Targets = parse.GetValue(Targets),
        RsLora = parse.GetValue(RsLora) ? true : null,
        LearningRate = parse.GetValue(Lr),
        Steps = parse.GetValue(Steps),
        BatchSize = parse.GetValue(BatchSize),
        SeqLen = parse.GetValue(SeqLen),
        Seed = parse.GetValue(Seed),
        WarmupSteps = parse.GetValue(Warmup),
        Schedule = parse.GetValue(Schedule),
        EvalFraction = parse.GetValue(EvalFraction),
        GradientAccumulation = parse.GetValue(GradAccum),
        CheckpointEvery = parse.GetValue(CheckpointEvery),
        CheckpointEverySeconds = parse.GetValue(CheckpointSeconds),
        WeightDecay = parse.GetValue(WeightDecay),
        MaxGradNorm = parse.GetValue(MaxGradNorm),
    };

    private static async Task<string> ReadDatasetAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) throw new Lora.Client.LoraClientException($"data file '{path}' not found.");
        // Strict: invalid bytes would otherwise reach the silo as U+FFFD and train as such.
        try { return await File.ReadAllTextAsync(path, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true), ct); }
        catch (System.Text.DecoderFallbackException) { throw new Lora.Client.LoraClientException($"data file '{path}' is not valid UTF-8: save it as UTF-8."); }
    }
}
