using Lora.Deploy.Tests.Support;
using Lora.Silo.Configuration;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace Lora.Deploy.Tests.Compose;

public sealed class DockerComposeTests
{
    private static readonly string[] Silos = ["silo-a", "silo-b"];
    private readonly YamlMappingNode _services = Yaml.LoadMapping("docker-compose.yml").Map("services");

    private Dictionary<string, string> Env(string service) =>
        _services.Map(service).Map("environment").Entries().ToDictionary(e => e.Key, e => ((YamlScalarNode)e.Value).Value!);

    [Fact]
    public void Cluster_profile_has_redis_two_silos_prometheus_and_grafana()
    {
        foreach (var name in new[] { "redis", "silo-a", "silo-b", "prometheus", "grafana" })
        {
            Assert.True(_services.Has(name), name);
            Assert.Contains("cluster", _services.Map(name).Seq("profiles").Select(p => p.ToString()));
        }
    }

    [Fact]
    public void Silo_env_names_are_silo_options_and_select_the_redis_profile()
    {
        var known = SiloOptions.All.Select(o => o.EnvVar).ToHashSet();
        foreach (var silo in Silos)
        {
            var env = Env(silo);
            Assert.All(env.Keys, k => Assert.Contains(k, known));
            Assert.Equal("redis", env["LORA_CLUSTERING"]);
            Assert.Equal("redis", env["LORA_STORAGE"]);
            Assert.Equal("redis", env["LORA_REMINDERS"]);
            Assert.Equal("redis:6379", env["LORA_REDIS"]);
            Assert.Equal("0.0.0.0", env["LORA_HTTP_HOST"]);
            Assert.Equal(silo, env["LORA_SILO_NAME"]);
        }
    }

    [Fact]
    public void Each_silo_env_is_a_valid_option_set()
    {
        foreach (var silo in Silos)
        {
            var config = new ConfigurationBuilder()
                .AddInMemoryCollection(Env(silo).Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value)))
                .Build();
            Assert.Equal(silo, SiloOptions.FromConfiguration(config).SiloName);
        }
    }

    [Fact]
    public void Silos_differ_in_name_address_and_ports_and_share_the_cluster()
    {
        var a = Env("silo-a");
        var b = Env("silo-b");
        foreach (var key in new[] { "LORA_SILO_NAME", "LORA_ADVERTISED_IP", "LORA_SILO_PORT", "LORA_GATEWAY_PORT", "LORA_HTTP_PORT" })
        {
            Assert.NotEqual(a[key], b[key]);
        }

        Assert.Equal(a["LORA_CLUSTER_ID"], b["LORA_CLUSTER_ID"]);
        Assert.Equal(a["LORA_SERVICE_ID"], b["LORA_SERVICE_ID"]);
        // silo-a keeps every default port, so documentation and clients can assume 30000 for the first gateway.
        Assert.Equal(SiloOptions.SiloPortOption.Default, a["LORA_SILO_PORT"]);
        Assert.Equal(SiloOptions.GatewayPortOption.Default, a["LORA_GATEWAY_PORT"]);
        Assert.Equal(SiloOptions.HttpPortOption.Default, a["LORA_HTTP_PORT"]);
    }

    [Fact]
    public void Published_ports_map_each_silo_port_one_to_one()
    {
        foreach (var silo in Silos)
        {
            var env = Env(silo);
            var published = _services.Map(silo).Seq("ports").Select(p => p.ToString()).ToHashSet();
            foreach (var key in new[] { "LORA_SILO_PORT", "LORA_GATEWAY_PORT", "LORA_HTTP_PORT" })
            {
                Assert.Contains($"{env[key]}:{env[key]}", published);
            }
        }
    }

    [Fact]
    public void Advertised_ip_is_the_silos_fixed_address_on_the_compose_network()
    {
        foreach (var silo in Silos)
        {
            var address = _services.Map(silo).Map("networks").Map("lora").Str("ipv4_address");
            Assert.Equal(address, Env(silo)["LORA_ADVERTISED_IP"]);
        }
    }

    [Fact]
    public void Stop_grace_period_exceeds_the_silo_shutdown_timeout()
    {
        foreach (var silo in Silos)
        {
            var grace = _services.Map(silo).Str("stop_grace_period");
            Assert.EndsWith("s", grace);
            Assert.True(int.Parse(grace.TrimEnd('s')) > int.Parse(Env(silo)["LORA_SHUTDOWN_TIMEOUT_SECONDS"]), silo);
        }
    }

    [Fact]
    public void Grafana_mounts_the_provisioning_and_dashboards_it_is_configured_with()
    {
        var volumes = _services.Map("grafana").Seq("volumes").Select(v => v.ToString()).ToList();
        Assert.Contains("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro", volumes);
        Assert.Contains("./deploy/grafana/dashboards:/etc/grafana/dashboards:ro", volumes);
        var provider = Yaml.LoadMapping("deploy", "grafana", "provisioning", "dashboards", "lora.yml");
        Assert.Equal("/etc/grafana/dashboards", provider.Seq("providers")[0].Map("options").Str("path"));
    }

    [FactWhenTool("docker-compose")]
    public void Docker_compose_accepts_the_file()
    {
        var (exit, output) = ExternalTool.Run("docker-compose", "-f", "docker-compose.yml", "config", "-q");
        Assert.True(exit == 0, output);
    }
}
