using Lora.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Lora.Client;

/// <summary>
/// The LoraCluster SDK: connects to a cluster, starts training jobs (many at once), follows their progress,
/// cancels them, and downloads the finished PEFT adapters. Thread-safe; one instance serves a whole application.
/// </summary>
public sealed partial class LoraClusterClient : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IClusterClient _orleans;

    private LoraClusterClient(IHost host, IClusterClient orleans, LoraClientOptions options)
    {
        _host = host;
        _orleans = orleans;
        Options = options;
    }

    /// <summary>The options this client connected with.</summary>
    public LoraClientOptions Options { get; }

    /// <summary>How often status is polled when a progress stream is unavailable.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Connects to the cluster, retrying a few times; throws <see cref="LoraClientException"/> when it cannot be reached.</summary>
    public static async Task<LoraClusterClient> ConnectAsync(LoraClientOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Resolve before building the host so a typo in the host name gets its own precise error.
        var gateway = options.Redis is null ? await HostPort.Parse(options.Gateway).ResolveAsync(ct) : null;
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ServiceId;
                });
                client.Configure<ClientMessagingOptions>(o => o.MaxMessageBodySize = options.MaxMessageBodyBytes);
                if (gateway is null) client.UseRedisClustering(options.Redis!);
                else client.UseStaticClustering(gateway);
                client.UseConnectionRetryFilter(new ConnectionRetryFilter(Math.Max(1, options.ConnectAttempts), options.RetryDelay));
            })
            .ConfigureServices(s => s.AddSingleton<IHostLifetime, EmbeddedHostLifetime>())
            .Build();
        try
        {
            await host.StartAsync(ct);
        }
        catch (Exception e)
        {
            host.Dispose();
            if (e is OperationCanceledException && ct.IsCancellationRequested) throw;
            throw new LoraClientException($"cannot reach {options.Describe()} (is a silo running?)", e);
        }
        return new LoraClusterClient(host, host.Services.GetRequiredService<IClusterClient>(), options);
    }

    /// <summary>The base models the cluster's silos host.</summary>
    public async Task<IReadOnlyList<BaseModelInfo>> ListModelsAsync() =>
        await _orleans.GetGrain<IModelRegistryGrain>(0).List();

    /// <summary>
    /// Uploads <paramref name="jsonlDataset"/> in ≤ 1 MiB chunks, submits the job and registers it in the job index.
    /// An empty <see cref="JobSpec.JobId"/> gets a fresh id (see the returned status). Throws
    /// <see cref="LoraClientException"/> if no silo hosts <see cref="JobSpec.BaseModel"/>.
    /// </summary>
    public async Task<JobStatus> StartTrainingAsync(JobSpec spec, string jsonlDataset, CancellationToken ct = default)
    {
        var models = await ListModelsAsync();
        return await StartCoreAsync(spec, jsonlDataset, models, ct);
    }

    /// <summary>Starts several jobs concurrently (one model lookup for all); returns their statuses in input order.</summary>
    public async Task<IReadOnlyList<JobStatus>> StartManyAsync(IEnumerable<(JobSpec Spec, string JsonlDataset)> jobs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var list = jobs.ToList();
        var models = await ListModelsAsync();
        return await Task.WhenAll(list.Select(j => StartCoreAsync(j.Spec, j.JsonlDataset, models, ct)));
    }

    private async Task<JobStatus> StartCoreAsync(JobSpec spec, string jsonlDataset, IReadOnlyList<BaseModelInfo> models, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(jsonlDataset);
        spec = JobIds.Ensure(spec);
        EnsureHosted(spec.BaseModel, models);
        var grain = _orleans.GetGrain<IAdapterGrain>(spec.GrainKey);
        var chunks = DatasetChunker.Split(jsonlDataset);
        // Sequential on purpose: the grain assembles chunks in order and one message at a time keeps memory flat.
        for (var i = 0; i < chunks.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            await grain.UploadDatasetChunk(i, chunks.Count, chunks[i]);
        }
        // The grain reserves the id in the job index before it stores anything.
        return await grain.Submit(spec);
    }

    /// <summary>Throws a <see cref="LoraClientException"/> naming the requested and the hosted models unless one matches.</summary>
    public static void EnsureHosted(string baseModel, IReadOnlyList<BaseModelInfo> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Any(m => string.Equals(m.Id, baseModel, StringComparison.Ordinal))) return;
        var hosted = models.Count == 0 ? "none (no silo has registered a model)" : string.Join(", ", models.Select(m => m.Id).Distinct());
        throw new LoraClientException($"base model '{baseModel}' is not hosted by this cluster; hosted models: {hosted}");
    }

    private IJobIndexGrain Index => _orleans.GetGrain<IJobIndexGrain>(0);

    /// <summary>Disconnects from the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        // Bounded: a dead gateway must not make disposal hang a command line.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _host.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        _host.Dispose();
    }
}
