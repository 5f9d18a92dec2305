using System.Net;
using Lora.Grains.Hosting;
using Lora.Grains.Jobs;
using Lora.Silo.Configuration;
using Lora.Training.Engine;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Persistence;
using Orleans.Serialization;
using Orleans.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

using SiloOptions = Lora.Silo.Configuration.SiloOptions;

namespace Lora.Silo.Hosting;

/// <summary>Silo wiring: one branch per profile choice (clustering, storage, reminders), everything else shared.</summary>
public static class SiloHostingExtensions
{
    public static WebApplicationBuilder AddLoraSilo(this WebApplicationBuilder builder, SiloOptions options)
    {
        EnsurePortsFree(options);
        var host = LoadModel(options);
        builder.Services.AddSingleton(host);

        // An IPv6 literal needs brackets in a URL (http://[::1]:8080).
        var httpHost = IPAddress.TryParse(options.HttpHost, out var literal) && literal.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{options.HttpHost}]" : options.HttpHost;
        builder.WebHost.UseUrls($"http://{httpHost}:{options.HttpPort}");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo");
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(LoraMetrics.MeterName, "Microsoft.Orleans")
            .AddRuntimeInstrumentation()
            .AddProcessInstrumentation()
            // No response cache: each scrape reflects the silo now (the default 300 ms cache served identical
            // counters to two scrapes a few steps apart); Prometheus' own interval bounds the scrape load.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
            if (options.SiloName.Length > 0) silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = options.SiloName);
            ConfigureClustering(silo, options);
            var storage = options.Storage switch
            {
                GrainStorageMode.Memory => JobStorage.Memory,
                GrainStorageMode.Redis => JobStorage.External,
                _ => JobStorage.Files,
            };
            if (options.Storage == GrainStorageMode.Redis)
                silo.AddRedisGrainStorage(AdapterGrain.StorageName, (OptionsBuilder<RedisStorageOptions> o) => o.Configure<Serializer>((redis, serializer) =>
                {
                    redis.ConfigurationOptions = ConfigurationOptions.Parse(options.Redis);
                    // The default serializer is JSON: adapter checkpoints (float arrays as byte[]) would become base64
                    // text a third larger and slower to write every few steps. Orleans' binary format stores them raw.
                    redis.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
            if (options.Reminders == RemindersMode.Redis)
                silo.UseRedisReminderService(o => o.ConfigurationOptions = ConfigurationOptions.Parse(options.Redis));
            else
                silo.UseInMemoryReminderService();
            silo.Configure<SiloMessagingOptions>(o => o.MaxMessageBodySize = 256 * 1024 * 1024);
            silo.AddLoraGrains(host, storage, options.DataDir);
            if (options.Dashboard) silo.AddDashboard();
        });
        return builder;
    }

    /// <summary>Loaded before the silo starts, so /health only answers 200 once the base is in memory. A model that
    /// cannot load is the operator's option error (path, files, device), reported as one.</summary>
    private static SiloModelHost LoadModel(SiloOptions options)
    {
        var modelPath = options.UsesBuiltInModel ? Lora.Training.Pretraining.BuiltinModel.DefaultPath() : options.BaseModelPath;
        var device = options.Device.ToString().ToLowerInvariant();
        try
        {
            return SiloModelHost.Load(options.BaseModelId, modelPath,
                options.BaseModelDtype == BaseModelDtype.BFloat16 ? "bfloat16" : "float32", device, new EngineOptions());
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new SiloOptionsException([$"cannot load the base model from {SiloOptions.BaseModelPathOption.Switch} '{modelPath}' "
                + $"on {SiloOptions.DeviceOption.Switch} {device}: {e.Message}"]);
        }
    }

    /// <summary>Before anything starts: Orleans would share a taken silo or gateway port with its owner, and Kestrel
    /// binds last, after the silo has already joined the cluster.</summary>
    private static void EnsurePortsFree(SiloOptions options)
    {
        var orleans = options.AdvertisedIp is null ? IPAddress.Loopback : IPAddress.Any;
        var http = options.HttpHost switch
        {
            "*" or "+" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(options.HttpHost, out var ip) ? ip : IPAddress.Any,
        };
        (SiloOptionDescriptor Option, IPAddress Address, int Port)[] listeners =
            [(SiloOptions.SiloPortOption, orleans, options.SiloPort), (SiloOptions.GatewayPortOption, orleans, options.GatewayPort),
             (SiloOptions.HttpPortOption, http, options.HttpPort)];
        var errors = listeners
            .Select(l => PortProbe.Problem(l.Address, l.Port) is { } problem ? SiloOptions.Describe(l.Option, $"{l.Port}", $"{problem} on {l.Address}") : null)
            .OfType<string>().ToList();
        if (errors.Count > 0) throw new SiloOptionsException(errors);
    }

    private static void ConfigureClustering(ISiloBuilder silo, SiloOptions options)
    {
        if (options.Clustering == ClusteringMode.Redis)
        {
            silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(options.Redis));
            var ip = options.AdvertisedIp ?? IPAddress.Loopback;
            silo.ConfigureEndpoints(ip, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: options.AdvertisedIp is not null);
            return;
        }
        var primary = options.Primary is { } p ? new IPEndPoint(PrimaryAddress(p.Host), p.Port) : new IPEndPoint(IPAddress.Loopback, options.SiloPort);
        silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, options.ServiceId, options.ClusterId);
    }

    public static WebApplication MapLoraEndpoints(this WebApplication app, SiloOptions options)
    {
        app.MapHealthChecks("/health");
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (options.Dashboard) app.MapOrleansDashboard("/dashboard");
        return app;
    }

    /// <summary>The --primary host as an address, IPv4 first; a name that does not resolve is the option's error.</summary>
    private static IPAddress PrimaryAddress(string host)
    {
        IPAddress[] addresses;
        try { addresses = Dns.GetHostAddresses(host); }
        catch (System.Net.Sockets.SocketException e) { throw new SiloOptionsException([$"--primary (LORA_PRIMARY): host '{host}' does not resolve ({e.Message})."]); }
        return addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault() ?? throw new SiloOptionsException([$"--primary (LORA_PRIMARY): host '{host}' has no address."]);
    }
}
