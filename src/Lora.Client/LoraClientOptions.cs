namespace Lora.Client;

/// <summary>How to reach a LoraCluster: a gateway (development, static clustering) or Redis membership (cluster profile).</summary>
public sealed record LoraClientOptions
{
    /// <summary>Default gateway: the port a single development silo opens.</summary>
    public const string DefaultGateway = "localhost:30000";

    /// <summary>Gateway "host:port" used when <see cref="Redis"/> is not set. Host names are resolved (IPv4 preferred).</summary>
    public string Gateway { get; init; } = DefaultGateway;

    /// <summary>Redis "host:port" (or a StackExchange.Redis configuration string); when set, gateways are discovered
    /// from Redis membership instead of <see cref="Gateway"/>.</summary>
    public string? Redis { get; init; }

    /// <summary>Orleans cluster id; must match the silos'.</summary>
    public string ClusterId { get; init; } = "lora-dev";

    /// <summary>Orleans service id; must match the silos'.</summary>
    public string ServiceId { get; init; } = "lora-cluster";

    /// <summary>How many times to try to connect before giving up (a silo may still be starting).</summary>
    public int ConnectAttempts { get; init; } = 3;

    /// <summary>Pause between connection attempts.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest message body accepted or sent. Adapters of big models exceed Orleans' defaults; datasets are
    /// chunked anyway, so this only has to cover one downloaded adapter.</summary>
    public int MaxMessageBodyBytes { get; init; } = 512 * 1024 * 1024;

    /// <summary>Human-readable description of where the client connects, used in error messages.</summary>
    public string Describe() => Redis is null
        ? $"the LoraCluster gateway at {Gateway}"
        : $"the LoraCluster via Redis at {Redis}";
}
