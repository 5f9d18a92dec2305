using System.Globalization;
using System.Text.Json;

namespace Lora.Cli.Tests;

/// <summary>One in-process `lora` invocation with its captured streams.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>--threads 1 everywhere: the test machines are small and shared, where one intra-op thread is fastest.</summary>
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = await LoraCli.RunAsync(args, stdout, stderr);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    public JsonElement Json()
    {
        Assert.True(ExitCode == 0, $"exit {ExitCode}: {Stderr}");
        var lines = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        return JsonDocument.Parse(lines[0]).RootElement.Clone();
    }

    /// <summary>The failure contract: exit 1 and exactly one "error: …" line on stderr.</summary>
    public string SingleErrorLine()
    {
        Assert.Equal(1, ExitCode);
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        return lines[0];
    }
}
