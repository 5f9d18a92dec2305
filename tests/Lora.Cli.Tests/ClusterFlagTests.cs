using System.Net;
using System.Net.Sockets;

namespace Lora.Cli.Tests;

/// <summary>Cluster commands check their flags before connecting: no silo listens on the gateway these tests name,
/// so a check that ran after the connection attempt would fail with "cannot reach" instead, and slowly.</summary>
public sealed class ClusterFlagTests : IDisposable
{
    private readonly string _gateway = $"127.0.0.1:{UnusedPort()}";
    private readonly string _dir = Directory.CreateTempSubdirectory("lora-cluster-flags-").FullName;

    [Theory]
    [InlineData("1e12")]
    [InlineData("1e8")]
    [InlineData("NaN")]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("4294968")]
    public async Task Wait_with_an_unusable_timeout_names_the_flag_and_value(string timeout)
    {
        var line = await ErrorLineBeforeConnecting("wait", "job-1", "--timeout", timeout);
        Assert.Contains("--timeout must be a number of seconds", line);
        Assert.Contains($"(got {double.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture)})", line);
    }

    [Fact]
    public async Task Download_to_an_empty_path_names_out() =>
        Assert.Contains("--out must name a directory", await ErrorLineBeforeConnecting("download", "job-1", "--out", ""));

    [Fact]
    public async Task Download_to_an_existing_file_names_out_and_the_file()
    {
        var file = Path.Combine(_dir, "adapter.bin");
        await File.WriteAllTextAsync(file, "keep");
        Assert.Contains($"--out: '{file}' is an existing file", await ErrorLineBeforeConnecting("download", "job-1", "--out", file));
        Assert.Equal("keep", await File.ReadAllTextAsync(file));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public async Task Cluster_generate_without_tokens_to_generate_names_the_flag(string tokens) =>
        Assert.Contains($"--max-new-tokens must be at least 1 (got {tokens})",
            await ErrorLineBeforeConnecting("generate", "--job", "job-1", "--prompt", "hi", "--max-new-tokens", tokens));

    /// <summary>The flag's error, not the failed connection's: a check that ran after the connection attempt would
    /// report "cannot reach" (and the caller's message check fails too).</summary>
    private async Task<string> ErrorLineBeforeConnecting(params string[] args)
    {
        var line = (await CliRun.RunAsync([.. args, "--gateway", _gateway])).SingleErrorLine();
        Assert.DoesNotContain("cannot reach", line);
        return line;
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
