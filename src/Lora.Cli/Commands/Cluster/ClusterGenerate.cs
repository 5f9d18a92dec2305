using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Lora.Client;

namespace Lora.Cli.Commands.Cluster;

/// <summary>
/// The cluster half of `lora generate`: with --job the prompt runs on the silo that holds the job's adapter.
/// The `generate` command itself belongs to the local commands (--model DIR); they call
/// <see cref="AddClusterOptions"/> when building it and dispatch to <see cref="RunClusterGenerateAsync(ParseResult, CancellationToken)"/>
/// when <see cref="IsClusterRequest"/> is true. <see cref="CreateCommand"/> is a cluster-only `generate` for hosts
/// without the local commands.
/// </summary>
public static class ClusterGenerate
{
    public const string JobName = "--job";
    public const string PromptName = "--prompt";
    public const string MaxNewTokensName = "--max-new-tokens";
    public const string TemperatureName = "--temperature";
    public const string JsonName = "--json";

    /// <summary>Adds --job and the connection options (--gateway, --redis, --cluster-id, --service-id) to an existing
    /// `generate` command, skipping any it already has.</summary>
    public static Command AddClusterOptions(Command generate)
    {
        if (!generate.Options.Any(o => o.Name == JobName))
            generate.Options.Add(new Option<string>(JobName) { Description = "Generate on the cluster with this job's adapter", HelpName = "JOB" });
        return new ClusterConnectionOptions().AddTo(generate);
    }

    /// <summary>True when the user asked for cluster generation (--job given).</summary>
    public static bool IsClusterRequest(ParseResult parse) => !string.IsNullOrEmpty(Text(parse, JobName));

    /// <summary>Runs cluster generation from a parsed `generate` command; reads --job, --prompt, --max-new-tokens,
    /// --temperature, --json and the connection options by name, whatever their declared types.</summary>
    public static Task<int> RunClusterGenerateAsync(ParseResult parse, CancellationToken ct)
    {
        try
        {
            var options = ClusterConnectionOptions.Read(parse);
            var job = Text(parse, JobName) ?? throw new LoraClientException("--job is required.");
            var prompt = Text(parse, PromptName) ?? throw new LoraClientException("--prompt is required.");
            var maxNewTokens = int.Parse(Text(parse, MaxNewTokensName) ?? "32", CultureInfo.InvariantCulture);
            var temperature = double.Parse(Text(parse, TemperatureName) ?? "0", CultureInfo.InvariantCulture);
            // Checked here, not by the SDK: its argument exceptions name the method's parameters, not the flags.
            if (maxNewTokens < 1) throw new LoraClientException($"{MaxNewTokensName} must be at least 1 (got {maxNewTokens}).");
            if (!double.IsFinite(temperature) || temperature < 0)
                throw new LoraClientException($"{TemperatureName} must be a finite number >= 0 (got {temperature.ToString(CultureInfo.InvariantCulture)}).");
            var json = Text(parse, JsonName) is { } j && !string.Equals(j, "false", StringComparison.OrdinalIgnoreCase);
            var config = parse.InvocationConfiguration;
            return RunClusterGenerateAsync(options, job, prompt, maxNewTokens, temperature, json, config.Output, config.Error, ct);
        }
        catch (Exception e) when (e is LoraClientException or FormatException or OverflowException)
        {
            return Task.FromResult(ClusterRunner.Fail(parse.InvocationConfiguration.Error, e.Message));
        }
    }

    /// <summary>Connects, generates, prints the text (or JSON {jobId, prompt, completion, text}: "completion" as the
    /// local `generate --json` names it, "text" kept for scripts written before); exit 0, or 1 after "error: …".</summary>
    public static Task<int> RunClusterGenerateAsync(LoraClientOptions options, string jobId, string prompt, int maxNewTokens,
        double temperature, bool json, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        ClusterRunner.RunAsync(options, stderr, async (client, _) =>
        {
            var text = await client.GenerateAsync(jobId, prompt, maxNewTokens, temperature);
            if (json) ClusterJson.Print(stdout, new { jobId, prompt, completion = text, text });
            else stdout.WriteLine(text);
            return 0;
        }, ct);

    /// <summary>A cluster-only `generate` command (--job required).</summary>
    public static Command CreateCommand()
    {
        var command = new Command("generate", "Generate text with a trained job's adapter on the cluster")
        {
            new Option<string>(JobName) { Description = "Job whose adapter to use", Required = true, HelpName = "JOB" },
            new Option<string>(PromptName) { Description = "Prompt text", Required = true },
            new Option<int>(MaxNewTokensName) { Description = "Tokens to generate", DefaultValueFactory = _ => 32 },
            new Option<double>(TemperatureName) { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0 },
            new Option<bool>(JsonName) { Description = "Print {jobId, prompt, completion, text} as JSON" },
        };
        new ClusterConnectionOptions().AddTo(command);
        command.SetAction(RunClusterGenerateAsync);
        return command;
    }

    // The option's text as typed (or its default), so another command's Option<int>/Option<float>/… all work.
    private static string? Text(ParseResult parse, string name)
    {
        var option = parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == name);
        if (option is null) return null;
        var result = parse.GetResult(option) as OptionResult;
        if (result is { Implicit: false })
            return result.Tokens.Count > 0 ? string.Join(' ', result.Tokens.Select(t => t.Value)) : "true"; // bare flag
        return option.HasDefaultValue ? Convert.ToString(option.GetDefaultValue(), CultureInfo.InvariantCulture) : null;
    }
}
