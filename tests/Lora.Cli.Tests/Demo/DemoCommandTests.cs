using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lora.Cli.Commands.Demo;
using Xunit.Abstractions;

namespace Lora.Cli.Tests.Demo;

/// <summary>`lora demo` end to end in this process: a real embedded silo, the real SDK, real training on the built-in base.</summary>
public sealed class DemoCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "lora-demo-test-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Demo_TwoShortJobs_CompleteLowerEvalLossAndWritePeftAdapters()
    {
        var clock = Stopwatch.StartNew();
        // Explicit free ports exercise the flags and keep the test off any silo the developer runs.
        var run = await CliRun.RunAsync("demo", "--jobs", "2", "--steps", "10", "--out", _out, "--json",
            "--silo-port", FreePort().ToString(), "--gateway-port", FreePort().ToString());
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s\n{run.Stdout}\n{run.Stderr}");

        Assert.Equal(0, run.ExitCode);
        var result = run.Json();
        var jobs = result.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(2, jobs.Count);
        Assert.Equal(["reverse", "sort"], jobs.Select(j => j.GetProperty("task").GetString()!));
        foreach (var job in jobs)
        {
            Assert.Equal("Completed", job.GetProperty("state").GetString());
            Assert.Equal(10, job.GetProperty("step").GetInt32());
            var before = job.GetProperty("baseEvalLoss").GetDouble();
            var after = job.GetProperty("finalEvalLoss").GetDouble();
            Assert.True(after < before, $"{job.GetProperty("jobId")}: eval loss {before} -> {after}");
            Assert.Equal(10, job.GetProperty("heldOut").GetInt32());
            Assert.StartsWith(job.GetProperty("task").GetString() + ": ", job.GetProperty("samplePrompt").GetString());
            Assert.NotNull(job.GetProperty("sampleGeneration").GetString());
            var dir = job.GetProperty("adapterDir").GetString()!;
            Assert.StartsWith(Path.Combine(_out, "adapters"), dir);
            Assert.True(new FileInfo(Path.Combine(dir, "adapter_model.safetensors")).Length > 0, dir);
            Assert.True(File.Exists(Path.Combine(dir, "adapter_config.json")), dir);
        }
    }

    [Fact]
    public async Task Demo_WithInvalidJobs_FailsWithOneErrorLineBeforeStartingAnything()
    {
        var run = await CliRun.RunAsync("demo", "--jobs", "0", "--out", _out);
        Assert.Contains("--jobs", run.SingleErrorLine());
        Assert.False(Directory.Exists(_out));
    }

    [Fact]
    public async Task Demo_OutWhoseClusterFolderIsNotTheDemos_FailsBeforeStartingASiloAndKeepsIt()
    {
        var notes = Path.Combine(_out, "cluster", "notes.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(notes)!);
        await File.WriteAllTextAsync(notes, "mine");
        var line = (await CliRun.RunAsync("demo", "--jobs", "1", "--steps", "1", "--out", _out)).SingleErrorLine();
        Assert.Contains($"--out: '{Path.Combine(_out, "cluster")}' exists and was not created by `lora demo`", line);
        Assert.Equal("mine", await File.ReadAllTextAsync(notes));
        // Nothing was started or written: no marker, no silo state in the folder, no adapters beside it.
        Assert.Equal([notes], Directory.EnumerateFileSystemEntries(_out, "*", SearchOption.AllDirectories).Where(File.Exists));
        Assert.Equal([Path.Combine(_out, "cluster")], Directory.EnumerateDirectories(_out, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("--gateway-port")]
    [InlineData("--silo-port")]
    public async Task Demo_OnAPortAnotherListenerHolds_FailsNamingTheFlag(string flag)
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var line = (await CliRun.RunAsync("demo", "--jobs", "1", "--steps", "1", "--out", _out, flag, port.ToString())).SingleErrorLine();
        // The flag's own check, not a silo that started and failed to listen ("embedded silo cannot listen on ports …").
        Assert.Contains($"{flag} {port} is already in use", line);
        Assert.DoesNotContain("cannot listen", line);
        // No silo ran: its cluster folder holds only the demo's marker, and nothing was downloaded beside it.
        var cluster = Path.Combine(_out, "cluster");
        Assert.Equal([cluster], Directory.EnumerateFileSystemEntries(_out));
        Assert.Equal([Path.Combine(cluster, DemoClusterDirectory.MarkerFile)], Directory.EnumerateFileSystemEntries(cluster, "*", SearchOption.AllDirectories));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }
}
