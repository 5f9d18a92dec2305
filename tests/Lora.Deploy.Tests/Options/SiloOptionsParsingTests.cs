using System.Net;
using Lora.Silo.Configuration;
using Microsoft.Extensions.Configuration;

namespace Lora.Deploy.Tests.Options;

public sealed class SiloOptionsParsingTests
{
    private static SiloOptions FromArgs(params string[] args) =>
        SiloOptions.FromConfiguration(new ConfigurationBuilder().AddCommandLine(args, SiloOptions.SwitchMappings).Build());

    [Fact]
    public void Defaults_match_the_documented_contract()
    {
        var o = SiloOptions.Default;
        Assert.Equal("builtin-tiny", o.BaseModelId);
        Assert.True(o.UsesBuiltInModel);
        Assert.Equal(ComputeDevice.Cpu, o.Device);
        Assert.Equal((11111, 30000, 8080), (o.SiloPort, o.GatewayPort, o.HttpPort));
        Assert.Equal("127.0.0.1", o.HttpHost);
        Assert.True(o.IsPrimary);
        Assert.Equal("./data", o.DataDir);
        Assert.Equal(ClusteringMode.Localhost, o.Clustering);
        Assert.Equal(GrainStorageMode.Files, o.Storage);
        Assert.Equal(RemindersMode.Memory, o.Reminders);
        Assert.Equal("127.0.0.1:6379", o.Redis);
        Assert.Equal(("lora-dev", "lora-cluster"), (o.ClusterId, o.ServiceId));
        Assert.Null(o.AdvertisedIp);
        Assert.Equal("", o.SiloName);
        Assert.True(o.Dashboard);
        Assert.Equal(TimeSpan.FromSeconds(20), o.ShutdownTimeout);
        Assert.Equal(BaseModelDtype.Float32, o.BaseModelDtype);
        Assert.False(o.NeedsRedis);
    }

    [Fact]
    public void Every_switch_is_read_from_the_command_line()
    {
        var o = FromArgs(
            "--base-model-id", "llama-3.2-1b", "--base-model-path", "/models/llama", "--device", "cuda",
            "--silo-port", "11112", "--gateway-port", "30001", "--http-port", "8081", "--http-host", "0.0.0.0",
            "--data-dir", "/var/lora", "--clustering", "redis", "--storage", "redis", "--reminders", "redis",
            "--redis", "redis:6380", "--cluster-id", "c1", "--service-id", "s1", "--advertised-ip", "10.0.0.7",
            "--silo-name", "silo-7", "--dashboard", "false", "--shutdown-timeout-seconds", "45",
            "--base-model-dtype", "bfloat16");

        Assert.Equal("llama-3.2-1b", o.BaseModelId);
        Assert.Equal("/models/llama", o.BaseModelPath);
        Assert.Equal(ComputeDevice.Cuda, o.Device);
        Assert.Equal((11112, 30001, 8081), (o.SiloPort, o.GatewayPort, o.HttpPort));
        Assert.Equal("0.0.0.0", o.HttpHost);
        Assert.Equal("/var/lora", o.DataDir);
        Assert.Equal((ClusteringMode.Redis, GrainStorageMode.Redis, RemindersMode.Redis), (o.Clustering, o.Storage, o.Reminders));
        Assert.Equal("redis:6380", o.Redis);
        Assert.Equal(("c1", "s1"), (o.ClusterId, o.ServiceId));
        Assert.Equal(IPAddress.Parse("10.0.0.7"), o.AdvertisedIp);
        Assert.Equal("silo-7", o.SiloName);
        Assert.False(o.Dashboard);
        Assert.Equal(TimeSpan.FromSeconds(45), o.ShutdownTimeout);
        Assert.Equal(BaseModelDtype.BFloat16, o.BaseModelDtype);
        Assert.True(o.NeedsRedis);
    }

    [Fact]
    public void Switches_accept_the_equals_form_and_any_case_for_choices()
    {
        var o = FromArgs("--device=AUTO", "--storage=Memory", "--primary=127.0.0.1:11111", "--silo-port=11112");
        Assert.Equal(ComputeDevice.Auto, o.Device);
        Assert.Equal(GrainStorageMode.Memory, o.Storage);
        Assert.Equal(new HostPort("127.0.0.1", 11111), o.Primary);
        Assert.False(o.IsPrimary);
    }

    [Fact]
    public void Full_env_var_names_are_read_when_the_environment_was_added_without_the_prefix()
    {
        // WebApplication.CreateBuilder adds AddEnvironmentVariables() unprefixed, so keys arrive as LORA_*.
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["LORA_SILO_PORT"] = "12000", ["LORA_DEVICE"] = "cuda" })
            .Build();
        var o = SiloOptions.FromConfiguration(config);
        Assert.Equal(12000, o.SiloPort);
        Assert.Equal(ComputeDevice.Cuda, o.Device);
    }

    [Fact]
    public void A_last_switch_without_a_value_is_an_error_not_the_default()
    {
        var e = Assert.Throws<SiloOptionsException>(() => new ConfigurationBuilder().AddSiloOptionSources(["--data-dir", "d", "--silo-port"]));
        Assert.Equal("--silo-port needs a value.", Assert.Single(e.Errors));
    }

    [Fact]
    public void Primary_accepts_bracketed_ipv6_and_host_names()
    {
        Assert.Equal(new HostPort("::1", 11111), FromArgs("--primary", "[::1]:11111").Primary);
        Assert.Equal(new HostPort("silo-a", 11111), FromArgs("--primary", "silo-a:11111").Primary);
        Assert.Equal("[::1]:11111", new HostPort("::1", 11111).ToString());
    }

    [Fact]
    public void Redis_may_carry_stack_exchange_options_after_the_endpoint()
    {
        Assert.Equal("redis:6379,password=secret,ssl=true", FromArgs("--redis", "redis:6379,password=secret,ssl=true").Redis);
    }

    [Fact]
    public void Unknown_switches_are_rejected_with_the_list_of_known_ones()
    {
        var ex = Assert.Throws<SiloOptionsException>(() =>
            new ConfigurationBuilder().AddSiloOptionSources(["--silo-prot", "1"]).Build());
        Assert.Contains("--silo-prot is not a silo option", ex.Message);
        Assert.Contains("--silo-port", ex.Message);
    }

    [Fact]
    public void Known_switches_pass_through_the_option_sources()
    {
        var config = new ConfigurationBuilder().AddSiloOptionSources(["--http-port=9000", "--dashboard", "false"]).Build();
        var o = SiloOptions.FromConfiguration(config);
        Assert.Equal(9000, o.HttpPort);
        Assert.False(o.Dashboard);
    }
}
