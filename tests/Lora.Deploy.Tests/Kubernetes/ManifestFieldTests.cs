using k8s;
using Lora.Deploy.Tests.Support;
using YamlDotNet.Serialization;

namespace Lora.Deploy.Tests.Kubernetes;

/// <summary>
/// Typed parsing alone forgives a misspelt field: the Kubernetes client drops keys its models do not have, just as
/// `kubectl apply` without strict validation would, so a "readinesProbe" typo ships a pod without a readiness probe.
/// Every field of every built-in object must survive a round trip through the typed models.
/// </summary>
public sealed class ManifestFieldTests
{
    /// <summary>Resource files and patches (kustomization.yaml files are kustomize's, not objects).</summary>
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(RepoPaths.Of("deploy", "k8s"), "*.yaml", SearchOption.AllDirectories).Order())
            if (Path.GetFileName(f) != "kustomization.yaml") data.Add(Path.GetRelativePath(RepoPaths.Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_field_is_one_the_kubernetes_models_know(string file)
    {
        var unknown = UnknownFields(File.ReadAllText(RepoPaths.Of(file))).ToList();
        Assert.True(unknown.Count == 0, $"{file}: fields the Kubernetes API does not have: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void A_misspelt_field_is_caught()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata: { name: p }
            spec:
              containers:
                - name: c
                  image: i
                  readinesProbe: { httpGet: { path: /health, port: 8080 } }
            """;
        Assert.Equal(["spec.containers[0].readinesProbe"], UnknownFields(yaml));
    }

    /// <summary>Paths present in the YAML but gone after typed load and serialise. Custom resources (the PodMonitor,
    /// modelled here only as far as the tests read it) are skipped: their schema is the operator's.</summary>
    private static IEnumerable<string> UnknownFields(string yaml)
    {
        var raw = new DeserializerBuilder().Build();
        foreach (var document in yaml.Split("\n---", StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw.Deserialize<Dictionary<object, object>>(document) is not { } original) continue;
            if (IsCustomResource(original.GetValueOrDefault("apiVersion") as string ?? "")) continue;
            var typed = KubernetesYaml.LoadAllFromString(document).Single();
            var roundTrip = raw.Deserialize<Dictionary<object, object>>(KubernetesYaml.Serialize(typed)) ?? [];
            foreach (var path in Missing(original, roundTrip, "")) yield return path;
        }
    }

    /// <summary>Built-in groups are "v1", dot-less ones (apps, policy, batch) and *.k8s.io.</summary>
    private static bool IsCustomResource(string apiVersion)
    {
        var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
        return group.Contains('.') && !group.EndsWith(".k8s.io", StringComparison.Ordinal);
    }

    private static IEnumerable<string> Missing(object original, object? roundTrip, string path)
    {
        switch (original)
        {
            case Dictionary<object, object> map:
                var other = roundTrip as Dictionary<object, object>;
                foreach (var (key, value) in map)
                {
                    var child = path.Length == 0 ? $"{key}" : $"{path}.{key}";
                    if (other is null || !other.TryGetValue(key, out var next)) yield return child;
                    else foreach (var p in Missing(value, next, child)) yield return p;
                }
                break;
            case List<object> list:
                var items = roundTrip as List<object>;
                for (var i = 0; i < list.Count; i++)
                {
                    if (items is null || i >= items.Count) yield return $"{path}[{i}]";
                    else foreach (var p in Missing(list[i], items[i], $"{path}[{i}]")) yield return p;
                }
                break;
        }
    }
}
