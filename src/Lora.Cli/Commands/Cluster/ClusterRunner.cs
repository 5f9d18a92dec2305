using System.CommandLine;
using Lora.Client;

namespace Lora.Cli.Commands.Cluster;

/// <summary>Connects, runs a command body, and turns every failure into the CLI contract: one line
/// "error: &lt;message&gt;" on the invocation's error writer and exit code 1.</summary>
internal static class ClusterRunner
{
    public static Task<int> RunAsync(ParseResult parse, Func<LoraClusterClient, CancellationToken, Task<int>> body, CancellationToken ct)
    {
        var stderr = parse.InvocationConfiguration.Error;
        LoraClientOptions options;
        try { options = ClusterConnectionOptions.Read(parse); }
        catch (LoraClientException e) { return Task.FromResult(Fail(stderr, e.Message)); }
        return RunAsync(options, stderr, body, ct);
    }

    /// <summary>The same for a command that reads its options itself (`generate`, whose flags another command owns).</summary>
    public static async Task<int> RunAsync(LoraClientOptions options, TextWriter stderr, Func<LoraClusterClient, CancellationToken, Task<int>> body,
        CancellationToken ct)
    {
        try
        {
            await using var client = await LoraClusterClient.ConnectAsync(options, ct);
            return await body(client, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Fail(stderr, "canceled");
        }
        catch (Exception e)
        {
            return Fail(stderr, MessageOf(e));
        }
    }

    /// <summary>To the invocation's error writer (the console in production), so in-process runs capture it.</summary>
    public static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"error: {OneLine(message)}");
        return 1;
    }

    /// <summary>Checks that need no cluster (flag values, paths) run before connecting: a typo must not wait for, or
    /// be hidden behind, a connection attempt.</summary>
    public static Task<int> RunAsync(ParseResult parse, Action validate, Func<LoraClusterClient, CancellationToken, Task<int>> body,
        CancellationToken ct)
    {
        try { validate(); }
        catch (LoraClientException e) { return Task.FromResult(Fail(parse.InvocationConfiguration.Error, e.Message)); }
        return RunAsync(parse, body, ct);
    }

    /// <summary>The user-facing message: our own exceptions as is; wrappers (aggregate, invocation) unwrapped so the
    /// silo's validation message (which names the field) reaches the user.</summary>
    internal static string MessageOf(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is not null)
            e = e.InnerException!;
        return e is LoraClientException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException
            ? e.Message
            : $"{e.GetType().Name}: {e.Message}";
    }

    internal static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
