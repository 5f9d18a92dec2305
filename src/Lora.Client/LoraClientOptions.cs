namespace Lora.Client;

/// <summary>How to reach a LoraCluster: a gateway (development, static clustering) or Redis membership (cluster profile).</summary>
public sealed record LoraClientOptions
{
    /// <summary>Default gateway: the port a single development silo opens.</summary>
    public const string DefaultGateway = "localhost:30000";

    /// <summary>Gateway "host:port" used when <see cref="Redis"/> is not set. Host names are resolved (IPv4 preferred).</summary>
    public string Gateway { get; init; } = DefaultGateway;

    /// <summary>Redis "host:port" (or a StackExchange.Redis configuration string, recognised by its ',' or '='); when
    /// set, gateways are discovered from Redis membership instead of <see cref="Gateway"/>. Null means "use the gateway";
    /// a blank string is an error, not a fallback.</summary>
    public string? Redis { get; init; }

    /// <summary>Orleans cluster id; must match the silos'.</summary>
    public string ClusterId { get; init; } = "lora-dev";

    /// <summary>Orleans service id; must match the silos'.</summary>
    public string ServiceId { get; init; } = "lora-cluster";

    /// <summary>How many times to try to connect before giving up (a silo may still be starting).</summary>
    public int ConnectAttempts { get; init; } = 3;

    /// <summary>Pause between connection attempts.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a job's status is polled while its progress stream is unavailable (watch and wait).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest message body accepted or sent. Datasets are chunked, so this only has to cover one downloaded
    /// adapter. Silos send at most 256 MiB per message (their own limit), so that is the largest adapter a cluster can
    /// hand out; the default leaves headroom above it and only a smaller value here would lower it.</summary>
    public int MaxMessageBodyBytes { get; init; } = 512 * 1024 * 1024;

    /// <summary>Human-readable description of where the client connects, used in error messages.</summary>
    public string Describe() => Redis is null
        ? $"the LoraCluster gateway at {Gateway}"
        : $"the LoraCluster via Redis at {Redis}";

    /// <summary>Throws <see cref="LoraClientException"/> naming the value when an address cannot be used (a typo must
    /// not turn into a connection attempt elsewhere, or a busy poll). Returns the options.</summary>
    public LoraClientOptions Validate()
    {
        if (Redis is null) HostPort.Parse(Gateway);
        else if (string.IsNullOrWhiteSpace(Redis))
            throw new LoraClientException("the Redis address is blank: give HOST:PORT (e.g. redis:6379), or leave it out to use the gateway.");
        else if (!Redis.Contains(',') && !Redis.Contains('=')) HostPort.Parse(Redis);
        if (PollInterval <= TimeSpan.Zero)
            throw new LoraClientException($"the poll interval must be positive (got {PollInterval}).");
        return this;
    }
}
