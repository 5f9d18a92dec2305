using System.CommandLine;
using System.Text.Json;
using Lora.Abstractions;
using Lora.Cli.Commands.Cluster;
using Lora.Client;

namespace Lora.Client.Tests;

public sealed class CliParsingTests
{
    private static RootCommand Root() => new RootCommand("lora").AddClusterCommands();

    [Fact]
    public void Submit_defaults_come_from_the_job_spec()
    {
        var parse = Root().Parse("submit --base-model tiny --data data/train.jsonl");
        Assert.Empty(parse.Errors);
        var spec = SubmitCommand.ReadSettings(parse).ToSpec();
        var d = new JobSpec { JobId = spec.JobId, BaseModel = "tiny", DatasetName = "train.jsonl" };
        Assert.True(spec.SameAs(d));
        Assert.Matches("^job-[0-9a-f]{8}$", spec.JobId);
    }

    [Fact]
    public void Submit_flags_map_to_spec_fields()
    {
        var parse = Root().Parse(
            "submit --base-model tiny --data d.jsonl --job-id j1 --rank 4 --alpha 8 --dropout 0.05 --targets q_proj,k_proj,,v_proj,q_proj " +
            "--rslora --lr 2e-4 --steps 50 --batch-size 4 --seq-len 64 --seed 7 --warmup-steps 5 --schedule linear " +
            "--eval-fraction 0.2 --grad-accum 2 --checkpoint-every 10 --checkpoint-every-seconds 90 --weight-decay 0.01 --max-grad-norm 0.5");
        Assert.Empty(parse.Errors);
        var s = SubmitCommand.ReadSettings(parse).ToSpec();
        Assert.Equal(("j1", "tiny", 4, 8.0, 0.05), (s.JobId, s.BaseModel, s.Rank, s.Alpha, s.Dropout));
        Assert.Equal(["q_proj", "k_proj", "v_proj"], s.Targets);
        Assert.True(s.UseRsLora);
        Assert.Equal((2e-4, 50, 4, 64, 7L, 5, "linear"), (s.LearningRate, s.Steps, s.BatchSize, s.SeqLen, s.Seed, s.WarmupSteps, s.Schedule));
        Assert.Equal((0.2, 2, 10, 0.01, 0.5, "d.jsonl"), (s.EvalFraction, s.GradientAccumulation, s.CheckpointEverySteps, s.WeightDecay, s.MaxGradNorm, s.DatasetName));
        Assert.Equal(90.0, s.CheckpointEverySeconds);
    }

    [Fact]
    public void Submit_requires_base_model_and_data() =>
        Assert.NotEmpty(Root().Parse("submit --data d.jsonl").Errors);

    [Fact]
    public void Empty_targets_are_rejected() =>
        Assert.Contains("--targets", Assert.Throws<LoraClientException>(() => SubmitSettings.ParseTargets(" , ")).Message);

    [Fact]
    public void Invalid_job_id_is_rejected_before_connecting() =>
        Assert.Throws<LoraClientException>(() => SubmitCommand.ReadSettings(Root().Parse("submit --base-model tiny --data d --job-id a/b")).ToSpec());

    [Theory]
    [InlineData("models --json")]
    [InlineData("status job-1 --json --gateway 10.0.0.1:30000")]
    [InlineData("list --redis redis:6379")]
    [InlineData("watch a b c")]
    [InlineData("watch a --json")]
    [InlineData("wait a b --timeout 2.5 --json")]
    [InlineData("cancel a")]
    [InlineData("delete a --json")]
    [InlineData("download a --out dir")]
    public void Commands_parse(string line) => Assert.Empty(Root().Parse(line).Errors);

    [Theory]
    [InlineData("status")]
    [InlineData("download a")]
    [InlineData("delete")]
    [InlineData("wait")]
    [InlineData("watch")]
    public void Missing_arguments_are_errors(string line) => Assert.NotEmpty(Root().Parse(line).Errors);

    [Fact]
    public void Connection_flags_become_client_options()
    {
        var o = ClusterConnectionOptions.Read(Root().Parse("list --redis redis:6379 --cluster-id prod --service-id svc"));
        Assert.Equal(("redis:6379", "prod", "svc"), (o.Redis, o.ClusterId, o.ServiceId));
        Assert.Equal("localhost:30000", ClusterConnectionOptions.Read(Root().Parse("list")).Gateway);
        Assert.Throws<LoraClientException>(() => ClusterConnectionOptions.Read(Root().Parse("list --gateway a:1 --redis b:2")));
        Assert.Throws<LoraClientException>(() => ClusterConnectionOptions.Read(Root().Parse("list --gateway nope")));
    }

    [Theory]
    [InlineData("list --redis \"\"", "--redis: the Redis address is blank")]
    [InlineData("list --redis redis", "--redis: 'redis' is not of the form HOST:PORT")]
    [InlineData("list --gateway nope", "--gateway: 'nope' is not of the form HOST:PORT")]
    public void Unusable_addresses_are_rejected_naming_the_flag(string line, string expected) =>
        Assert.StartsWith(expected, Assert.Throws<LoraClientException>(() => ClusterConnectionOptions.Read(Root().Parse(line))).Message);

    [Fact]
    public void Generate_dispatches_on_job_and_reads_options_of_any_type()
    {
        // Shaped like the local command: its own --prompt / --max-new-tokens, extended with the cluster options.
        var generate = new Command("generate")
        {
            new Option<string>("--model"), new Option<string>("--prompt"), new Option<int>("--max-new-tokens") { DefaultValueFactory = _ => 16 },
        };
        ClusterGenerate.AddClusterOptions(generate);
        var root = new RootCommand { generate };
        Assert.True(ClusterGenerate.IsClusterRequest(root.Parse("generate --job j1 --prompt hi --gateway h:1")));
        Assert.False(ClusterGenerate.IsClusterRequest(root.Parse("generate --model dir --prompt hi")));
        Assert.Empty(root.Parse("generate --job j1 --prompt hi --max-new-tokens 8").Errors);
        Assert.Empty(new RootCommand { ClusterGenerate.CreateCommand() }.Parse("generate --job j --prompt p --temperature 0.7").Errors);
    }

    [Fact]
    public void Status_json_uses_camel_case_and_state_names()
    {
        var json = ClusterJson.Serialize(new JobStatus { JobId = "j", BaseModel = "tiny", State = JobState.Running, Step = 3, TotalSteps = 10, TrainLoss = 1.5 });
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        Assert.Equal("Running", r.GetProperty("state").GetString());
        foreach (var name in new[] { "jobId", "baseModel", "step", "totalSteps", "trainLoss", "evalLoss", "error" })
            Assert.True(r.TryGetProperty(name, out _), name);
    }

    [Fact]
    public void Wait_outcome_is_success_only_when_all_completed()
    {
        JobStatus S(string id, JobState state, string? error = null) => new() { JobId = id, BaseModel = "m", State = state, Error = error };
        Assert.Null(JobOutcome.Problem([S("a", JobState.Completed), S("b", JobState.Completed)]));
        Assert.Contains("timed out after 5 s waiting for b", JobOutcome.Problem([S("a", JobState.Completed), S("b", JobState.Running)], 5));
        Assert.Contains("a Failed (nan loss)", JobOutcome.Problem([S("a", JobState.Failed, "nan loss")]));
        Assert.Contains("a Canceled", JobOutcome.Problem([S("a", JobState.Canceled)]));
    }

    [Fact]
    public void Error_messages_are_one_line() => Assert.Equal("a b c", ClusterRunner.OneLine("a\r\n b\n\nc"));
}
