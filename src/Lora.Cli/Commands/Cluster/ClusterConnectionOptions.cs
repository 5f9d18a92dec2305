using System.CommandLine;
using Lora.Client;

namespace Lora.Cli.Commands.Cluster;

/// <summary>The connection flags every cluster command takes: --gateway or --redis (plus cluster/service ids for
/// clusters that do not use the development defaults).</summary>
public sealed class ClusterConnectionOptions
{
    public const string GatewayName = "--gateway";
    public const string RedisName = "--redis";
    public const string ClusterIdName = "--cluster-id";
    public const string ServiceIdName = "--service-id";

    private static readonly LoraClientOptions Defaults = new();

    public Option<string> Gateway { get; } = new(GatewayName)
    {
        Description = $"Gateway HOST:PORT of a silo (default {LoraClientOptions.DefaultGateway})",
        HelpName = "HOST:PORT",
    };

    public Option<string> Redis { get; } = new(RedisName)
    {
        Description = "Redis HOST:PORT (or a StackExchange.Redis configuration string) of the cluster's membership table (cluster profile; instead of --gateway)",
        HelpName = "HOST:PORT",
    };

    public Option<string> ClusterId { get; } = new(ClusterIdName) { Description = $"Orleans cluster id (default {Defaults.ClusterId})" };

    public Option<string> ServiceId { get; } = new(ServiceIdName) { Description = $"Orleans service id (default {Defaults.ServiceId})" };

    /// <summary>Adds the options to <paramref name="command"/>, skipping any the command already defines (so a
    /// command owned elsewhere, e.g. `generate`, can be extended without clashes).</summary>
    public Command AddTo(Command command)
    {
        foreach (var option in new Option[] { Gateway, Redis, ClusterId, ServiceId })
            if (!command.Options.Any(o => o.Name == option.Name)) command.Options.Add(option);
        return command;
    }

    /// <summary>Client options from the parsed flags; --gateway and --redis together are rejected as ambiguous.</summary>
    public static LoraClientOptions Read(ParseResult parse) => Build(
        ValueByName(parse, GatewayName), ValueByName(parse, RedisName),
        ValueByName(parse, ClusterIdName), ValueByName(parse, ServiceIdName));

    /// <summary>Pure mapping from flag values to client options (null = not given), checked before any connection
    /// attempt: a typo, or a blank --redis, must not quietly become a connection to the default gateway.</summary>
    public static LoraClientOptions Build(string? gateway, string? redis, string? clusterId, string? serviceId)
    {
        if (gateway is not null && redis is not null)
            throw new LoraClientException("give either --gateway or --redis, not both.");
        var options = new LoraClientOptions
        {
            Gateway = gateway ?? Defaults.Gateway,
            Redis = redis,
            ClusterId = clusterId ?? Defaults.ClusterId,
            ServiceId = serviceId ?? Defaults.ServiceId,
        };
        try { return options.Validate(); }
        catch (LoraClientException e) { throw new LoraClientException($"{(redis is null ? GatewayName : RedisName)}: {e.Message}", e); }
    }

    // By name, so the same reader serves options created by another command (see ClusterGenerate).
    internal static string? ValueByName(ParseResult parse, string name) =>
        parse.CommandResult.Command.Options.Any(o => o.Name == name) ? parse.GetValue<string>(name) : null;
}
