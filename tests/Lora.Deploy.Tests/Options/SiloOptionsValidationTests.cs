using Lora.Silo.Configuration;
using Microsoft.Extensions.Configuration;

namespace Lora.Deploy.Tests.Options;

public sealed class SiloOptionsValidationTests
{
    private static SiloOptionsException Reject(params string[] args) =>
        Assert.Throws<SiloOptionsException>(() => SiloOptions.FromConfiguration(
            new ConfigurationBuilder().AddCommandLine(args, SiloOptions.SwitchMappings).Build()));

    public static TheoryData<string, string, string, string> BadValues => new()
    {
        // switch, bad value, env var named in the error, problem named in the error
        { "--base-model-id", "org/model", "LORA_BASE_MODEL_ID", "no '/'" },
        { "--base-model-id", "", "LORA_BASE_MODEL_ID", "letters, digits" },
        { "--base-model-path", "bad\0path", "LORA_BASE_MODEL_PATH", "not a valid path" },
        { "--device", "tpu", "LORA_DEVICE", "cpu, cuda, auto" },
        { "--silo-port", "eleven", "LORA_SILO_PORT", "not an integer" },
        { "--silo-port", "0", "LORA_SILO_PORT", "not a port" },
        { "--gateway-port", "70000", "LORA_GATEWAY_PORT", "not a port" },
        { "--gateway-port", "11111", "LORA_GATEWAY_PORT", "must differ from --silo-port" },
        { "--http-port", "-1", "LORA_HTTP_PORT", "not a port" },
        { "--http-port", "30000", "LORA_HTTP_PORT", "must differ" },
        { "--http-host", "not a host!", "LORA_HTTP_HOST", "not an IP address or host name" },
        { "--primary", "silo-a", "LORA_PRIMARY", "not HOST:PORT" },
        { "--primary", "silo-a:99999", "LORA_PRIMARY", "not HOST:PORT" },
        { "--data-dir", "", "LORA_DATA_DIR", "non-empty path" },
        { "--clustering", "consul", "LORA_CLUSTERING", "localhost, redis" },
        { "--storage", "s3", "LORA_STORAGE", "files, redis, memory" },
        { "--reminders", "1", "LORA_REMINDERS", "memory, redis" },
        { "--redis", "redis", "LORA_REDIS", "must start with HOST:PORT" },
        { "--redis", "127.0.0.1:6379,foo=bar", "LORA_REDIS", "Keyword 'foo' is not supported" },
        { "--cluster-id", "my cluster", "LORA_CLUSTER_ID", "letters, digits" },
        { "--service-id", "", "LORA_SERVICE_ID", "letters, digits" },
        { "--advertised-ip", "silo-a", "LORA_ADVERTISED_IP", "not an IP address" },
        { "--advertised-ip", "10.0.0.7", "LORA_ADVERTISED_IP", "only used with --clustering redis" },
        { "--silo-name", "silo a", "LORA_SILO_NAME", "letters, digits" },
        { "--dashboard", "maybe", "LORA_DASHBOARD", "not a boolean" },
        { "--shutdown-timeout-seconds", "0", "LORA_SHUTDOWN_TIMEOUT_SECONDS", "between 1 and 3600" },
        { "--shutdown-timeout-seconds", "soon", "LORA_SHUTDOWN_TIMEOUT_SECONDS", "not an integer" },
        { "--base-model-dtype", "float16", "LORA_BASE_MODEL_DTYPE", "float32, bfloat16" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_is_rejected_naming_the_switch_the_env_var_and_the_value(
        string option, string value, string envVar, string problem)
    {
        var error = Assert.Single(Reject(option, value).Errors);
        Assert.Contains(option, error);
        Assert.Contains(envVar, error);
        Assert.Contains($"'{value}'", error);
        Assert.Contains(problem, error);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("255.255.255.255")]
    public void An_advertised_address_nobody_can_dial_is_rejected(string address)
    {
        var error = Assert.Single(Reject("--clustering", "redis", "--advertised-ip", address).Errors);
        Assert.Contains($"'{address}' is not an address other silos can connect to", error);
    }

    [Fact]
    public void Every_option_has_at_least_one_rejection_case()
    {
        var covered = BadValues.Select(row => (string)row[0]).ToHashSet();
        Assert.All(SiloOptions.All, o => Assert.Contains(o.Switch, covered));
    }

    [Fact]
    public void Primary_is_rejected_with_redis_clustering_because_it_would_be_ignored()
    {
        var error = Assert.Single(Reject("--clustering", "redis", "--primary", "silo-a:11111").Errors);
        Assert.Contains("--primary", error);
        Assert.Contains("only used with --clustering localhost", error);
    }

    [Fact]
    public void All_problems_are_reported_together()
    {
        var ex = Reject("--silo-port", "x", "--device", "tpu", "--dashboard", "maybe");
        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains("--silo-port", ex.Message);
        Assert.Contains("--device", ex.Message);
        Assert.Contains("--dashboard", ex.Message);
    }

    [Fact]
    public void Validate_checks_options_changed_after_parsing()
    {
        var changed = SiloOptions.Default with { HttpPort = SiloOptions.Default.SiloPort };
        Assert.Contains(changed.Validate(), e => e.Contains("--http-port"));
        Assert.Empty(SiloOptions.Default.Validate());
    }
}
