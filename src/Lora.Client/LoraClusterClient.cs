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

    /// <summary>How often status is polled when a progress stream is unavailable; set it with
    /// <see cref="LoraClientOptions.PollInterval"/>.</summary>
    public TimeSpan PollInterval => Options.PollInterval;

    /// <summary>Connects to the cluster, retrying a few times; throws <see cref="LoraClientException"/> when it cannot be reached.</summary>
    public static async Task<LoraClusterClient> ConnectAsync(LoraClientOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
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
            // The innermost cause says whether nothing listens, the cluster id is wrong or Redis is down.
            throw new LoraClientException($"cannot reach {options.Describe()} (is a silo running?): {e.GetBaseException().Message}", e);
        }
        return new LoraClusterClient(host, host.Services.GetRequiredService<IClusterClient>(), options);
    }

    /// <summary>The base models the cluster's silos host.</summary>
    public Task<IReadOnlyList<BaseModelInfo>> ListModelsAsync() => CallAsync(() => _orleans.GetGrain<IModelRegistryGrain>(0).List());

    /// <summary>
    /// Uploads <paramref name="jsonlDataset"/> in ≤ 1 MiB chunks, submits the job and registers it in the job index.
    /// An empty <see cref="JobSpec.JobId"/> gets a fresh id before anything is sent. Throws
    /// <see cref="LoraClientException"/> naming the job if no silo hosts <see cref="JobSpec.BaseModel"/>, and
    /// <see cref="JobStartException"/> (its message "job 'id': cause", the silo's validation message included) if the
    /// submission fails.
    /// </summary>
    public async Task<JobStatus> StartTrainingAsync(JobSpec spec, string jsonlDataset, CancellationToken ct = default) =>
        (await StartManyAsync([(spec, jsonlDataset)], ct))[0];

    /// <summary>
    /// Starts several jobs concurrently; returns their statuses in input order. Before anything is sent every spec gets
    /// its id and the request is checked as a whole: duplicate job ids, or a base model no silo hosts, throw
    /// <see cref="LoraClientException"/> and start nothing. If some submissions then fail, the others still run and a
    /// <see cref="JobStartException"/> lists every job's id and outcome. Cancelling before any job started throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<IReadOnlyList<JobStatus>> StartManyAsync(IEnumerable<(JobSpec Spec, string JsonlDataset)> jobs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var list = jobs.ToList();
        if (list.Any(j => j.JsonlDataset is null)) throw new ArgumentNullException(nameof(jobs), "every job needs a dataset.");
        var specs = JobIds.EnsureAll(list.Select(j => j.Spec));
        var models = await ListModelsAsync();
        foreach (var spec in specs)
            if (NotHosted(spec.BaseModel, models) is { } problem)
                throw new LoraClientException($"job '{spec.JobId}': {problem}; no job was submitted.");
        var results = await Task.WhenAll(specs.Select((spec, i) => TryStartAsync(spec, list[i].JsonlDataset, ct)));
        if (results.All(r => r.Started)) return results.Select(r => r.Status!).ToList();
        if (!results.Any(r => r.Started)) ct.ThrowIfCancellationRequested();
        throw new JobStartException(results);
    }

    private async Task<JobStartResult> TryStartAsync(JobSpec spec, string jsonlDataset, CancellationToken ct)
    {
        try { return new JobStartResult(spec.JobId, await CallAsync(() => StartCoreAsync(spec, jsonlDataset, ct)), null); }
        catch (Exception e) { return new JobStartResult(spec.JobId, null, e); }
    }

    private async Task<JobStatus> StartCoreAsync(JobSpec spec, string jsonlDataset, CancellationToken ct)
    {
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
        if (NotHosted(baseModel, models) is { } problem) throw new LoraClientException(problem);
    }

    private static string? NotHosted(string baseModel, IReadOnlyList<BaseModelInfo> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Any(m => string.Equals(m.Id, baseModel, StringComparison.Ordinal))) return null;
        var hosted = models.Count == 0 ? "none (no silo has registered a model)" : string.Join(", ", models.Select(m => m.Id).Distinct());
        return $"base model '{baseModel}' is not hosted by this cluster; hosted models: {hosted}";
    }

    /// <summary>Runs one call into the cluster under the SDK's error contract (<see cref="ClusterErrors"/>).</summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try { return await call(); }
        catch (Exception e) when (ClusterErrors.Translate(e, Options) is { } mapped) { throw mapped; }
    }

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
