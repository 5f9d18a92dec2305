using Lora.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// A plain Orleans client for what the SDK deliberately does not expose (the per-step loss history). Jobs are
/// still started and downloaded through the SDK; this only reads.
/// </summary>
internal sealed class OrleansProbe : IAsyncDisposable
{
    private readonly IHost _host;

    private OrleansProbe(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<OrleansProbe> ConnectAsync(string redis, string clusterId, string serviceId)
    {
        var host = new HostBuilder().UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = serviceId; });
            client.UseRedisClustering(redis);
        }).Build();
        await host.StartAsync();
        return new OrleansProbe(host);
    }

    public Task<double[]> LossHistory(JobSpec spec) => Client.GetGrain<IAdapterGrain>(spec.GrainKey).GetLossHistory();

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _host.StopAsync(cts.Token); } catch (OperationCanceledException) { }
        _host.Dispose();
    }
}
