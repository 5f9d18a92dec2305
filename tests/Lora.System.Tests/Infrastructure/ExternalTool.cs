using System.Diagnostics;

namespace Lora.System.Tests.Infrastructure;

/// <summary>Runs a command to completion and returns its exit code and output.</summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    public static bool Exists(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(dir => File.Exists(Path.Combine(dir, command)));

    /// <summary>Fails with install instructions rather than a bare "file not found" when a Debian package is missing.</summary>
    public static void Require(string command, string package) =>
        Assert.True(Exists(command), $"'{command}' not found on PATH: install the Debian package '{package}' (scripts/install-deps.sh does, as root).");

    /// <param name="wait">How long it may take: by default a minute of the test's deadline.</param>
    public static async Task<Result> RunAsync(string command, IEnumerable<string> args, string? stdin = null, Wait? wait = null)
    {
        var limit = wait ?? TestDeadline.For(TimeSpan.FromSeconds(60));
        var info = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null,
            UseShellExecute = false, WorkingDirectory = RepoPaths.Root,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(limit.Remaining);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            // Not left running (or holding the output pipes open) after the test gave up on it.
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }   // exited meanwhile
            await process.WaitForExitAsync();
            // A descendant that left the tree may still hold the pipes: do not wait for their end for long.
            var output = await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(5))) is Task<string[]> both
                ? string.Concat(await both) : "(output still held open by a descendant)";
            throw new TimeoutException($"'{command} {string.Join(' ', info.ArgumentList)}' did not exit within {limit}; " +
                $"killed it and its children. Output:\n{output}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
