using Lora.Silo.Configuration;
using Microsoft.Extensions.Configuration;

namespace Lora.Deploy.Tests.Options;

/// <summary>These tests set real process environment variables, so nothing else may run beside them.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class SiloOptionsEnvironmentTests
{
    [Fact]
    public void Lora_environment_variables_set_options_and_the_command_line_overrides_them()
    {
        var saved = SiloOptions.All.ToDictionary(o => o.EnvVar, o => Environment.GetEnvironmentVariable(o.EnvVar));
        try
        {
            Environment.SetEnvironmentVariable("LORA_SILO_PORT", "12001");
            Environment.SetEnvironmentVariable("LORA_CLUSTERING", "redis");
            Environment.SetEnvironmentVariable("LORA_REDIS", "redis.example:6379");
            Environment.SetEnvironmentVariable("LORA_SILO_NAME", "from-env");

            var config = new ConfigurationBuilder().AddSiloOptionSources(["--silo-name", "from-args"]).Build();
            var o = SiloOptions.FromConfiguration(config);

            Assert.Equal(12001, o.SiloPort);
            Assert.Equal(ClusteringMode.Redis, o.Clustering);
            Assert.Equal("redis.example:6379", o.Redis);
            Assert.Equal("from-args", o.SiloName);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [Fact]
    public void Unprefixed_variables_such_as_kubernetes_service_links_are_not_options()
    {
        var saved = Environment.GetEnvironmentVariable("SILO_PORT");
        try
        {
            // What a Service named "silo" injects into every pod of its namespace.
            Environment.SetEnvironmentVariable("SILO_PORT", "tcp://10.0.0.3:11111");
            var o = SiloOptions.FromConfiguration(new ConfigurationBuilder().AddSiloOptionSources([]).Build());
            Assert.Equal(11111, o.SiloPort);
        }
        finally { Environment.SetEnvironmentVariable("SILO_PORT", saved); }
    }
}
