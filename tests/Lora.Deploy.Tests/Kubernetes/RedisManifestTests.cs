using k8s;
using k8s.Models;
using Lora.Deploy.Tests.Support;
using Lora.Silo.Configuration;
using Microsoft.Extensions.Configuration;

namespace Lora.Deploy.Tests.Kubernetes;

/// <summary>
/// The in-cluster Redis holds every job (membership, checkpoints, datasets, finished adapters, reminders), so its data
/// directory must outlive the pod: an eviction, drain or reschedule may not lose the jobs (docs/durability.md).
/// </summary>
public sealed class RedisManifestTests
{
    private static readonly string RedisFile = RepoPaths.Of("deploy", "k8s", "base", "redis.yaml");

    private static List<IKubernetesObject<V1ObjectMeta>> Render(string overlay) => KubernetesManifestTests.Render(overlay);

    private static V1StatefulSet Redis(List<IKubernetesObject<V1ObjectMeta>> objects) =>
        objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "lora-redis");

    private static V1Container RedisContainer(V1StatefulSet redis) => redis.Spec.Template.Spec.Containers.Single(c => c.Name == "redis");

    /// <summary>The value after <paramref name="flag"/> in redis-server's arguments (null when absent).</summary>
    private static string? Arg(V1Container c, string flag)
    {
        var args = (c.Command ?? []).Concat(c.Args ?? []).ToList();
        var i = args.IndexOf(flag);
        return i >= 0 && i + 1 < args.Count ? args[i + 1] : null;
    }

    private static IEnumerable<V1Container> SiloContainers(List<IKubernetesObject<V1ObjectMeta>> objects) =>
        KubernetesManifestTests.Silos(objects).Select(KubernetesManifestTests.Silo);

    [Theory]
    [MemberData(nameof(KubernetesManifestTests.Overlays), MemberType = typeof(KubernetesManifestTests))]
    public void Redis_keeps_its_append_only_file_on_a_persistent_volume_claim(string overlay)
    {
        var objects = Render(overlay);
        Assert.DoesNotContain(objects.OfType<V1Deployment>(), d => d.Metadata.Labels["app.kubernetes.io/name"] == "lora-redis");
        var redis = Redis(objects);
        Assert.Equal(1, redis.Spec.Replicas);   // two Redis pods would both own the membership table
        var container = RedisContainer(redis);
        Assert.Equal("yes", Arg(container, "--appendonly"));
        var dataDir = Arg(container, "--dir");
        Assert.False(string.IsNullOrEmpty(dataDir), "redis-server needs an explicit --dir so the test knows where its data lives");

        var mount = Assert.Single(container.VolumeMounts, m => m.MountPath.TrimEnd('/') == dataDir!.TrimEnd('/'));
        Assert.NotEqual(true, mount.ReadOnlyProperty);
        // Backed by a claim template, not by a pod volume (an emptyDir of that name would be one to drop on eviction).
        var claim = Assert.Single(redis.Spec.VolumeClaimTemplates, t => t.Metadata.Name == mount.Name);
        Assert.DoesNotContain(redis.Spec.Template.Spec.Volumes ?? [], v => v.Name == mount.Name);
        Assert.Equal(["ReadWriteOnce"], claim.Spec.AccessModes);
        Assert.True(claim.Spec.Resources.Requests["storage"].ToDecimal() > 0);
        Assert.All(redis.Spec.Template.Spec.Volumes ?? [], v => Assert.Null(v.EmptyDir));
        // Redis flushes its append-only file on SIGTERM; the kubelet must wait for it longer than its 30 s default.
        Assert.True(redis.Spec.Template.Spec.TerminationGracePeriodSeconds >= 30);
    }

    [Theory]
    [MemberData(nameof(KubernetesManifestTests.Overlays), MemberType = typeof(KubernetesManifestTests))]
    public void Redis_statefulset_is_governed_by_a_headless_service_of_its_pods(string overlay)
    {
        var objects = Render(overlay);
        var redis = Redis(objects);
        var governing = objects.OfType<V1Service>().Single(s => s.Metadata.Name == redis.Spec.ServiceName);
        Assert.Equal("None", governing.Spec.ClusterIP);
        Assert.True(KubernetesManifestTests.Selects(governing.Spec.Selector, redis.Spec.Template.Metadata.Labels));
    }

    [Theory]
    [MemberData(nameof(KubernetesManifestTests.Overlays), MemberType = typeof(KubernetesManifestTests))]
    public void Silos_reach_redis_through_a_service_port_that_targets_the_redis_container(string overlay)
    {
        var objects = Render(overlay);
        var redis = Redis(objects);
        var redisPorts = RedisContainer(redis).Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        foreach (var silo in SiloContainers(objects))
        {
            var value = silo.Env.Single(e => e.Name == "LORA_REDIS").Value;
            var (host, port) = (value.Split(':')[0], int.Parse(value.Split(':')[1].Split(',')[0]));
            var service = objects.OfType<V1Service>().Single(s => s.Metadata.Name == host);
            Assert.NotEqual("None", service.Spec.ClusterIP);   // a stable address wherever the pod is rescheduled
            Assert.True(KubernetesManifestTests.Selects(service.Spec.Selector, redis.Spec.Template.Metadata.Labels), host);
            var servicePort = Assert.Single(service.Spec.Ports, p => p.Port == port);
            Assert.True(redisPorts.ContainsKey(servicePort.TargetPort.Value), $"{host}:{port} targets '{servicePort.TargetPort.Value}'");
        }
    }

    [Theory]
    [MemberData(nameof(KubernetesManifestTests.Overlays), MemberType = typeof(KubernetesManifestTests))]
    public void An_external_redis_is_redis_yaml_left_out_and_LORA_REDIS_set(string overlay)
    {
        // Every Redis object comes from redis.yaml, so leaving that file out of the kustomization removes them all …
        var redisObjects = Kustomization.LoadFile(RedisFile).Select(o => $"{o.Kind}/{o.Metadata.Name}").ToHashSet();
        var objects = Render(overlay);
        Assert.All(objects.Where(o => o.Metadata.Labels is { } labels && labels.TryGetValue("app.kubernetes.io/name", out var name) && name == "lora-redis"),
            o => Assert.Contains($"{o.Kind}/{o.Metadata.Name}", redisObjects));
        var rest = objects.Where(o => !redisObjects.Contains($"{o.Kind}/{o.Metadata.Name}")).ToList();

        // … and nothing else refers to them but the silos' LORA_REDIS, which accepts an external address with options.
        foreach (var silo in SiloContainers(rest))
        {
            silo.Env.Single(e => e.Name == "LORA_REDIS").Value = "redis.example.internal:6380,password=secret,ssl=true";
            var values = silo.Env.Where(e => e.Value is not null).Select(e => new KeyValuePair<string, string?>(e.Name, e.Value));
            Assert.Empty(SiloOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values).Build()).Validate());
        }
        Assert.All(rest, o => Assert.DoesNotContain("lora-redis", KubernetesYaml.Serialize(o)));
    }
}
