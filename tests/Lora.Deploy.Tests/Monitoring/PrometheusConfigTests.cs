using Lora.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Lora.Deploy.Tests.Monitoring;

public sealed class PrometheusConfigTests
{
    [Fact]
    public void Scrape_targets_are_the_silos_http_ports_with_a_silo_label()
    {
        var services = Yaml.LoadMapping("docker-compose.yml").Map("services");
        var job = Yaml.LoadMapping("deploy", "prometheus", "prometheus.yml").Seq("scrape_configs")
            .Cast<YamlMappingNode>().Single(j => j.Str("job_name") == "lora-silo");
        Assert.Equal("/metrics", job.Str("metrics_path"));

        var targets = job.Seq("static_configs").Cast<YamlMappingNode>()
            .ToDictionary(c => c.Map("labels").Str("silo"), c => c.Seq("targets").Single().ToString());
        Assert.Equal(["silo-a", "silo-b"], targets.Keys.Order());
        foreach (var (silo, target) in targets)
        {
            var httpPort = services.Map(silo).Map("environment").Str("LORA_HTTP_PORT");
            Assert.Equal($"{silo}:{httpPort}", target);
        }
    }

    [FactWhenTool("promtool")]
    public void Promtool_accepts_the_config()
    {
        var (exit, output) = ExternalTool.Run("promtool", "check", "config", "deploy/prometheus/prometheus.yml");
        Assert.True(exit == 0, output);
    }
}
