using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lora.Deploy.Tests.Support;
using Lora.Silo.Configuration;
using Xunit.Abstractions;

namespace Lora.Deploy.Tests.Containers;

/// <summary>
/// The images, built as far as this machine can without a container engine (<see cref="ImageBuildEmulator"/>):
/// the build stage's real `dotnet restore` / `dotnet publish` over exactly the files its COPY lines bring in, then
/// the runtime stage's files started with the image's own ENV and ENTRYPOINT. What is not covered: the base images
/// (Ubuntu's libstdc++ instead of the patched Debian one), apt-get in the runtime stage, and the CUDA build argument,
/// whose packages are not served here.
/// </summary>
public sealed class ContainerImageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Silo_image_builds_and_its_app_folder_alone_starts_a_healthy_silo_on_the_builtin_model()
    {
        using var image = new ImageBuildEmulator(RepoPaths.Root, RepoPaths.Of("Dockerfile"));
        var runtime = image.Build("runtime");
        Assert.Equal(["dotnet", "Lora.Silo.dll"], runtime.Entrypoint);
        Assert.Equal(SiloOptions.All.Where(o => o.EnvVar is "LORA_SILO_PORT" or "LORA_GATEWAY_PORT" or "LORA_HTTP_PORT")
            .Select(o => o.Default).Order(), runtime.Exposed.Order());
        Assert.Equal("$APP_UID", runtime.User);
        Assert.True(runtime.IsWritableByUser(runtime.Env["LORA_DATA_DIR"]), $"{runtime.Env["LORA_DATA_DIR"]} is {runtime.OwnerOf(runtime.Env["LORA_DATA_DIR"])}'s");
        Assert.Contains("/health", runtime.Healthcheck);
        Assert.All(runtime.SkippedRuns, r => Assert.DoesNotContain("dotnet", r));

        int silo = FreePort(), gateway = FreePort(), http = FreePort();
        var start = new ProcessStartInfo("dotnet", runtime.Entrypoint.Skip(1))
        {
            WorkingDirectory = runtime.HostPath(runtime.WorkDir), RedirectStandardOutput = true, RedirectStandardError = true,
        };
        // The image's ENV as it declares it (container paths mapped), ports moved off the defaults other tests may hold.
        foreach (var (name, value) in runtime.Env) start.Environment[name] = value.StartsWith('/') ? runtime.HostPath(value) : value;
        start.Environment["LORA_SILO_PORT"] = silo.ToString();
        start.Environment["LORA_GATEWAY_PORT"] = gateway.ToString();
        start.Environment["LORA_HTTP_PORT"] = http.ToString();
        start.Environment.Remove("LORA_BUILTIN_MODEL");   // the model must come from the image, not from this checkout
        using var process = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(120);
            HttpStatusCode? status = null;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try { status = (await client.GetAsync($"http://127.0.0.1:{http}/health")).StatusCode; }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }   // not up yet, or a slow answer under load
                if (status == HttpStatusCode.OK) break;
                await Task.Delay(500);
            }
            Assert.True(status == HttpStatusCode.OK, $"silo from the image's /app never became healthy (last {status}, exited {process.HasExited}):\n"
                + string.Join("\n", log.TakeLast(40)));
            var metrics = await client.GetStringAsync($"http://127.0.0.1:{http}/metrics");
            Assert.Contains(metrics.Split('\n'), l => l.StartsWith("lora_base_model_bytes{") && l.Contains("base_model=\"builtin-tiny\""));
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            foreach (var line in log.TakeLast(15)) output.WriteLine(line);
        }
    }

    [Fact]
    public async Task Cli_image_builds_and_its_lora_command_trains_a_demo_job_on_the_builtin_model()
    {
        using var image = new ImageBuildEmulator(RepoPaths.Root, RepoPaths.Of("Dockerfile.cli"));
        var runtime = image.Build("runtime");
        Assert.Equal(["/app/lora"], runtime.Entrypoint);
        // The image runs as the app user and `lora demo` (out/demo) or `download --out DIR` write relative to WORKDIR.
        Assert.NotNull(runtime.User);
        Assert.True(runtime.IsWritableByUser(runtime.WorkDir), $"WORKDIR {runtime.WorkDir} is {runtime.OwnerOf(runtime.WorkDir)}'s, the image runs as {runtime.User}");
        // No --out: the default, relative output folder must land in the working directory.
        var start = new ProcessStartInfo(runtime.HostPath(runtime.Entrypoint[0]), ["demo", "--jobs", "1", "--steps", "3", "--json"])
        {
            WorkingDirectory = runtime.HostPath(runtime.WorkDir), RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment.Remove("LORA_BUILTIN_MODEL");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            // Its embedded silo must not outlive the test (holding ports and a core on the CI box).
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }   // exited meanwhile
            await process.WaitForExitAsync();
            var output = await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(5))) is Task<string[]> both
                ? string.Join("\n", await both) : "(output still held open)";
            Assert.Fail($"lora demo from the image did not exit within 3 min; killed it and its children:\n{output}");
        }
        Assert.True(process.ExitCode == 0, $"lora demo from the image exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        Assert.Single(Directory.GetFiles(runtime.HostPath(runtime.WorkDir), "adapter_model.safetensors", SearchOption.AllDirectories));
    }

    [Fact]
    public void Ownership_model_tells_a_folder_the_user_owns_from_a_root_one()
    {
        var dir = Directory.CreateTempSubdirectory("lora-dockerfile-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "Dockerfile.test.dockerignore"), "");
            File.WriteAllText(Path.Combine(dir.FullName, "seed.txt"), "x");
            File.WriteAllText(Path.Combine(dir.FullName, "Dockerfile.test"), """
                FROM base AS runtime
                WORKDIR /root-owned
                RUN mkdir -p /made /chowned && chown "$APP_UID:$APP_UID" /chowned
                COPY --chown=${APP_UID} seed.txt /copied/
                COPY seed.txt ./
                USER $APP_UID
                RUN mkdir -p /mine
                """);
            using var image = new ImageBuildEmulator(dir.FullName, Path.Combine(dir.FullName, "Dockerfile.test"));
            var stage = image.Build("runtime");
            Assert.False(stage.IsWritableByUser(stage.WorkDir));   // the fault the CLI image had: WORKDIR alone is root's
            Assert.False(stage.IsWritableByUser("/made"));
            Assert.True(stage.IsWritableByUser("/chowned"));
            Assert.True(stage.IsWritableByUser("/copied"));
            Assert.Equal("root", stage.OwnerOf("seed.txt"));
            Assert.True(stage.IsWritableByUser("/mine"));
        }
        finally { dir.Delete(recursive: true); }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
