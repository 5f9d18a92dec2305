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

    /// <summary>Short-syntax port mappings as (host address, host port, container port); none of the services use the long form.</summary>
    private IEnumerable<(string? Address, string HostPort, string ContainerPort)> Published(string service) =>
        _services.Map(service).Has("ports")
            ? _services.Map(service).Seq("ports").Select(p =>
            {
                var parts = ((YamlScalarNode)p).Value!.Split(':');
                return parts.Length switch
                {
                    3 => (parts[0], parts[1], parts[2]),
                    2 => ((string?)null, parts[0], parts[1]),
                    _ => throw new FormatException($"{service}: port '{p}' is not [ADDRESS:]HOST:CONTAINER"),
                };
            })
            : [];

    [Fact]
    public void Published_ports_map_each_silo_gateway_and_http_port_one_to_one_and_not_the_silo_port()
    {
        foreach (var silo in Silos)
        {
            var env = Env(silo);
            var published = Published(silo).ToList();
            foreach (var key in new[] { "LORA_GATEWAY_PORT", "LORA_HTTP_PORT" })
            {
                Assert.Contains(published, p => p.HostPort == env[key] && p.ContainerPort == env[key]);
            }
            // Silo-to-silo traffic stays on the compose network; no host client speaks the silo protocol.
            Assert.DoesNotContain(published, p => p.ContainerPort == env["LORA_SILO_PORT"]);
        }
    }

    [Fact]
    public void Every_published_port_binds_loopback_only()
    {
        // Orleans gateway and /dashboard, Prometheus and Grafana's admin/admin have no real authentication.
        foreach (var (service, _) in _services.Entries())
        {
            Assert.All(Published(service), p => Assert.True(p.Address == "127.0.0.1",
                $"{service} publishes {p.HostPort} on {(p.Address ?? "every interface")}, not 127.0.0.1"));
        }
    }

    [Fact]
    public void Cli_keeps_its_working_directory_in_a_named_volume()
    {
        var workDir = Containers.Dockerfile.Parse(RepoPaths.Of("Dockerfile.cli")).Stage("runtime").Instructions
            .Last(i => i.Keyword == "WORKDIR").Arguments;
        var volumes = _services.Map("cli").Seq("volumes").Select(v => v.ToString()).ToList();
        var mount = Assert.Single(volumes, v => v.Split(':')[1].TrimEnd('/') == workDir.TrimEnd('/'));
        // A named volume, not a bind mount: a new named volume takes the image folder's owner (the app user);
        // a host folder Docker creates for a bind mount would be root's, and the CLI could not write there.
        var name = mount.Split(':')[0];
        Assert.DoesNotContain('/', name);
        Assert.True(Yaml.LoadMapping("docker-compose.yml").Map("volumes").Has(name), name);
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
