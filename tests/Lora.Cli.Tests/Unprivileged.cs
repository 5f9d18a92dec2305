using System.Diagnostics;

namespace Lora.Cli.Tests;

/// <summary>
/// Runs `lora` as a user whom file permissions bind. As root (CI) permission bits are not enforced, so a test of a
/// read-only folder would pass without testing anything: there `dotnet lora.dll` runs out of process as nobody
/// (uid/gid 65534) under util-linux's setpriv; as anyone else, in process like every other test.
/// </summary>
internal static class Unprivileged
{
    private const int Nobody = 65534;
    private static readonly string LoraDll = Path.Combine(AppContext.BaseDirectory, "lora.dll");

    /// <summary>Why permissions cannot be tested here, or null when they can.</summary>
    public static string? Unavailable
    {
        get
        {
            if (OperatingSystem.IsWindows()) return "folders are made read-only by their POSIX mode";
            if (!Environment.IsPrivilegedProcess) return null;
            if (Setpriv is null) return "running as root without setpriv (util-linux) to run lora as an unprivileged user";
            // Every folder above lora.dll (and the .NET install) must let nobody through; a checkout under /root does not.
            var blocked = new[] { LoraDll, DotnetHost }.SelectMany(Ancestors).FirstOrDefault(d => !OthersMaySearch(d));
            return blocked is null ? null : $"running as root, and nobody (uid {Nobody}) cannot reach lora.dll or dotnet: '{blocked}' is closed to others";
        }
    }

    /// <summary>The folders an unprivileged `lora` reads its inputs from and writes under must let it in.</summary>
    public static void OpenToOthers(string folder)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>`lora args…` as a user bound by permissions: in process unless this process is root.</summary>
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        if (Unavailable is { } reason) throw new InvalidOperationException(reason);   // the test's attribute skips first
        if (!Environment.IsPrivilegedProcess) return await CliRun.RunGuardedAsync(args);
        var info = new ProcessStartInfo(Setpriv!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", DotnetHost, LoraDll, .. args])
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(CliRun.HangGuard);
        try { await process.WaitForExitAsync(guard.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new CliRun(process.ExitCode, await stdout, await stderr + $"\n(killed after {CliRun.HangGuard.TotalMinutes:0} min)");
        }
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private static string? Setpriv => new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists);

    /// <summary>The dotnet host running these tests (`dotnet test` starts the test host through it).</summary>
    private static string DotnetHost =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "/usr/bin/dotnet";

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); dir is not null; dir = Path.GetDirectoryName(dir)) yield return dir;
    }

    private static bool OthersMaySearch(string dir) =>
        OperatingSystem.IsWindows() || (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) != 0;
}

/// <summary>A theory about file permissions: reported skipped, with the reason, where <see cref="Unprivileged"/> cannot
/// make them bind (never passed without testing anything).</summary>
public sealed class TheoryWithPermissionsAttribute : TheoryAttribute
{
    public TheoryWithPermissionsAttribute() => Skip = Unprivileged.Unavailable;
}
