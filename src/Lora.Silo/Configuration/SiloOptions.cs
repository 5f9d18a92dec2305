using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Lora.Silo.Configuration;

/// <summary>
/// Every setting of one silo. Build it with <see cref="FromConfiguration"/> after adding the sources with
/// <see cref="SiloConfigurationBuilderExtensions.AddSiloOptionSources"/>; instances it returns are valid.
/// The contract (switches, env vars, defaults) is <see cref="All"/>.
/// </summary>
public sealed partial record SiloOptions
{
    private static readonly Regex IdPattern = new("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant);

    private SiloOptions()
    {
    }

    public required string BaseModelId { get; init; }

    /// <summary>Empty means the built-in model.</summary>
    public required string BaseModelPath { get; init; }

    public required ComputeDevice Device { get; init; }

    public required int SiloPort { get; init; }

    public required int GatewayPort { get; init; }

    public required int HttpPort { get; init; }

    public required string HttpHost { get; init; }

    /// <summary>The primary silo's endpoint; null when this silo is the primary.</summary>
    public required HostPort? Primary { get; init; }

    public required string DataDir { get; init; }

    public required ClusteringMode Clustering { get; init; }

    public required GrainStorageMode Storage { get; init; }

    public required RemindersMode Reminders { get; init; }

    /// <summary>A StackExchange.Redis configuration string whose first endpoint is HOST:PORT.</summary>
    public required string Redis { get; init; }

    public required string ClusterId { get; init; }

    public required string ServiceId { get; init; }

    /// <summary>Null means loopback (single machine).</summary>
    public required IPAddress? AdvertisedIp { get; init; }

    /// <summary>Empty means Orleans generates one.</summary>
    public required string SiloName { get; init; }

    public required bool Dashboard { get; init; }

    public required TimeSpan ShutdownTimeout { get; init; }

    public required BaseModelDtype BaseModelDtype { get; init; }

    public bool UsesBuiltInModel => BaseModelPath.Length == 0;

    public bool IsPrimary => Primary is null;

    public bool NeedsRedis =>
        Clustering == ClusteringMode.Redis || Storage == GrainStorageMode.Redis || Reminders == RemindersMode.Redis;

    /// <summary>The options with every default from <see cref="All"/>.</summary>
    public static SiloOptions Default => FromConfiguration(new ConfigurationBuilder().Build());

    /// <summary>Reads and validates; throws <see cref="SiloOptionsException"/> listing every problem found.</summary>
    public static SiloOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var read = new SiloOptionsReader(configuration);
        var options = new SiloOptions
        {
            BaseModelId = read.Text(BaseModelIdOption),
            BaseModelPath = read.Text(BaseModelPathOption),
            Device = read.Choice<ComputeDevice>(DeviceOption),
            SiloPort = read.Int(SiloPortOption),
            GatewayPort = read.Int(GatewayPortOption),
            HttpPort = read.Int(HttpPortOption),
            HttpHost = read.Text(HttpHostOption),
            Primary = read.OptionalHostPort(PrimaryOption),
            DataDir = read.Text(DataDirOption),
            Clustering = read.Choice<ClusteringMode>(ClusteringOption),
            Storage = read.Choice<GrainStorageMode>(StorageOption),
            Reminders = read.Choice<RemindersMode>(RemindersOption),
            Redis = read.Text(RedisOption),
            ClusterId = read.Text(ClusterIdOption),
            ServiceId = read.Text(ServiceIdOption),
            AdvertisedIp = read.OptionalIp(AdvertisedIpOption),
            SiloName = read.Text(SiloNameOption),
            Dashboard = read.Bool(DashboardOption),
            ShutdownTimeout = TimeSpan.FromSeconds(read.Int(ShutdownTimeoutSecondsOption)),
            BaseModelDtype = read.Choice<BaseModelDtype>(BaseModelDtypeOption),
        };

        var errors = read.Errors.Concat(options.Validate()).ToList();
        return errors.Count == 0 ? options : throw new SiloOptionsException(errors);
    }

    /// <summary>Semantic checks; also useful after a <c>with</c> expression. Empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, SiloOptionDescriptor option, object? value, string problem)
        {
            if (!ok)
            {
                errors.Add(Describe(option, value?.ToString() ?? "", problem));
            }
        }

        // The id is the first segment of every adapter grain key ("{baseModelId}/{jobId}") and a metric label.
        Check(IdPattern.IsMatch(BaseModelId), BaseModelIdOption, BaseModelId,
            "must be letters, digits, '.', '_' or '-' (it prefixes grain keys, so no '/')");
        Check(BaseModelPath.Length == 0 || BaseModelPath.IndexOfAny(Path.GetInvalidPathChars()) < 0,
            BaseModelPathOption, BaseModelPath, "is not a valid path");
        Check(HostPort.IsValidPort(SiloPort), SiloPortOption, SiloPort, "is not a port (1-65535)");
        Check(HostPort.IsValidPort(GatewayPort), GatewayPortOption, GatewayPort, "is not a port (1-65535)");
        Check(HostPort.IsValidPort(HttpPort), HttpPortOption, HttpPort, "is not a port (1-65535)");
        Check(GatewayPort != SiloPort, GatewayPortOption, GatewayPort, $"must differ from {SiloPortOption.Switch} ({SiloPort})");
        Check(HttpPort != SiloPort && HttpPort != GatewayPort, HttpPortOption, HttpPort,
            $"must differ from {SiloPortOption.Switch} ({SiloPort}) and {GatewayPortOption.Switch} ({GatewayPort})");
        Check(HttpHost is "*" or "+" || HostPort.IsValidHost(HttpHost), HttpHostOption, HttpHost,
            "is not an IP address or host name");
        Check(Primary is null || Clustering == ClusteringMode.Localhost, PrimaryOption, Primary,
            $"is only used with {ClusteringOption.Switch} localhost; redis clustering finds silos through Redis");
        Check(DataDir.Length > 0 && DataDir.IndexOfAny(Path.GetInvalidPathChars()) < 0, DataDirOption, DataDir,
            "must be a non-empty path");
        var redisEndpoint = Redis.Split(',')[0].Trim();
        Check(HostPort.TryParse(redisEndpoint, out _), RedisOption, Redis, "must start with HOST:PORT");
        Check(RedisSettingsProblem() is null, RedisOption, Redis, $"is not a StackExchange.Redis configuration: {RedisSettingsProblem()}");
        // Any/None/Broadcast listen fine but cannot be dialled: membership would advertise an address nobody reaches.
        Check(AdvertisedIp is null || !(AdvertisedIp.Equals(IPAddress.Any) || AdvertisedIp.Equals(IPAddress.IPv6Any)
                || AdvertisedIp.Equals(IPAddress.None) || AdvertisedIp.Equals(IPAddress.IPv6None) || AdvertisedIp.Equals(IPAddress.Broadcast)),
            AdvertisedIpOption, AdvertisedIp, "is not an address other silos can connect to");
        Check(AdvertisedIp is null || Clustering == ClusteringMode.Redis, AdvertisedIpOption, AdvertisedIp,
            $"is only used with {ClusteringOption.Switch} redis; localhost clustering always advertises loopback");
        Check(IdPattern.IsMatch(ClusterId), ClusterIdOption, ClusterId, "must be letters, digits, '.', '_' or '-'");
        Check(IdPattern.IsMatch(ServiceId), ServiceIdOption, ServiceId, "must be letters, digits, '.', '_' or '-'");
        Check(SiloName.Length == 0 || IdPattern.IsMatch(SiloName), SiloNameOption, SiloName,
            "must be letters, digits, '.', '_' or '-'");
        // Below 1 s nothing can checkpoint; above an hour an orchestrator will have long since killed the pod.
        Check(ShutdownTimeout >= TimeSpan.FromSeconds(1) && ShutdownTimeout <= TimeSpan.FromHours(1),
            ShutdownTimeoutSecondsOption, (int)ShutdownTimeout.TotalSeconds, "must be between 1 and 3600 seconds");
        return errors;
    }

    private string? RedisSettingsProblem()
    {
        try
        {
            StackExchange.Redis.ConfigurationOptions.Parse(Redis);
            return null;
        }
        catch (ArgumentException e) { return e.Message; }
    }

    internal static string Describe(SiloOptionDescriptor option, string value, string problem) =>
        $"{option.Switch} ({option.EnvVar}) = '{value}' {problem}.";
}
