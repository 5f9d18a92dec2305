using System.Net;
using System.Net.Sockets;
using Lora.Cli.Output;
using Lora.Client;
using Lora.Grains.Hosting;
using Lora.Training.Pretraining;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Lora.Cli.Commands.Demo;

/// <summary>
/// A single-silo LoraCluster inside this process: the built-in base loaded once, the real adapter grains, file job
/// storage under the demo's output folder. Clients reach it only through its gateway, exactly as they would a
/// deployed silo.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly SiloModelHost _model;

    private EmbeddedSilo(IHost host, SiloModelHost model, int siloPort, int gatewayPort)
    {
        _host = host;
        _model = model;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int SiloPort { get; }
    public int GatewayPort { get; }
    public string Gateway => $"127.0.0.1:{GatewayPort}";

    /// <summary>The silo's own grain factory: lets tests set up cluster state no client call can produce.</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>Starts the silo; a port of 0 becomes a free one so the demo never collides with a silo the user runs.</summary>
    public static async Task<EmbeddedSilo> StartAsync(int siloPort, int gatewayPort, string dataDir, CancellationToken ct)
    {
        // Before loading the model: a taken port is a flag mistake and should fail in milliseconds.
        EnsureFree("--silo-port", siloPort);
        EnsureFree("--gateway-port", gatewayPort);
        siloPort = siloPort == 0 ? FreePort(gatewayPort) : siloPort;
        gatewayPort = gatewayPort == 0 ? FreePort(siloPort) : gatewayPort;
        var model = SiloModelHost.Load(DemoSettings.BaseModelId, BuiltinModel.DefaultPath(), "float32", "cpu");
        IHost? host = null;
        try
        {
            // A bare HostBuilder has no logging providers: the silo stays silent and the demo's own output is the UI.
            host = new HostBuilder()
                .UseOrleans(silo =>
                {
                    silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: DemoSettings.ServiceId, clusterId: DemoSettings.ClusterId);
                    silo.UseInMemoryReminderService();
                    silo.AddLoraGrains(model, JobStorage.Files, dataDir);
                })
                // Nothing outlives the process, so a long graceful shutdown would only delay the exit.
                .ConfigureServices(s => s
                    .Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10))
                    .AddSingleton<IHostLifetime, EmbeddedHostLifetime>())
                .Build();
            await host.StartAsync(ct);
            return new EmbeddedSilo(host, model, siloPort, gatewayPort);
        }
        catch (SocketException e)
        {
            await DisposeAsync(host, model);
            throw new InvalidOperationException($"embedded silo cannot listen on ports {siloPort}/{gatewayPort}: {e.Message} (choose others with --silo-port/--gateway-port)", e);
        }
        catch
        {
            await DisposeAsync(host, model);
            throw;
        }
    }

    public ValueTask DisposeAsync() => new(DisposeAsync(_host, _model));

    private static async Task DisposeAsync(IHost? host, SiloModelHost model)
    {
        if (host is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await host.StopAsync(timeout.Token); }
            catch (OperationCanceledException) { }
            host.Dispose();
        }
        // Disposed after the silo stopped: no grain can still be stepping the engine.
        model.Dispose();
    }

    /// <summary>A port the OS reports free now (not <paramref name="other"/>); the tiny race until the silo binds it is
    /// acceptable for a demo and surfaces as a clear error.</summary>
    private static int FreePort(int other)
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (port != other) return port;
        }
    }

    /// <summary>A port the user chose (0: a free one is picked) must be free now: the silo's listeners reuse ports, so
    /// on a taken one they would bind beside its owner and clients would reach either process.</summary>
    private static void EnsureFree(string flag, int port)
    {
        if (port != 0 && PortProbe.Problem(IPAddress.Any, port) is { } problem)
            throw new CliException($"{flag} {port} {problem}: choose another port, or 0 for a free one.");
    }
}
