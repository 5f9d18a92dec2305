using System.Globalization;
using System.Text.Json;

namespace Lora.Cli.Tests;

/// <summary>One in-process `lora` invocation with its captured streams.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>How long a command that must fail up front may run before <see cref="RunGuardedAsync"/> cancels it.
    /// Generous (JIT on a loaded CI box); the tests that use it give the command hours of work behind the check.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(3);

    /// <summary>--threads 1 everywhere: the test machines are small and shared, where one intra-op thread is fastest.</summary>
    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None);

    /// <summary>A command that must fail before its long work starts, cancelled after <see cref="HangGuard"/>: a check
    /// that ran after the work shows up as the wrong error line (the cancellation), never as a hung test run.</summary>
    public static async Task<CliRun> RunGuardedAsync(params string[] args)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return await RunAsync(args, guard.Token);
    }

    private static async Task<CliRun> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = await LoraCli.RunAsync(args, stdout, stderr, cancellationToken);
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
