using k8s;
using k8s.Models;
using Lora.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Lora.Deploy.Tests.Kubernetes;

/// <summary>
/// Renders a kustomization the way `kubectl kustomize` does for the features deploy/k8s uses (resources, namespace,
/// images, strategic-merge patches of Deployments), so the manifests are checked as applied without kubectl.
/// A test compares this with kubectl's output wherever kubectl is installed.
/// </summary>
internal static class Kustomization
{
    private static readonly Dictionary<string, Type> TypeMap = new() { [PodMonitor.TypeKey] = typeof(PodMonitor) };

    public static List<IKubernetesObject<V1ObjectMeta>> Render(params string[] dir) => Render(RepoPaths.Of(dir));

    public static List<IKubernetesObject<V1ObjectMeta>> LoadFile(string path) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(path), TypeMap).Cast<IKubernetesObject<V1ObjectMeta>>().ToList();

    private static List<IKubernetesObject<V1ObjectMeta>> Render(string dir)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(dir, "kustomization.yaml"))));
        var k = (YamlMappingNode)stream.Documents[0].RootNode;

        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var resource in k.Seq("resources").Select(r => Path.GetFullPath(Path.Combine(dir, r.ToString()))))
        {
            objects.AddRange(Directory.Exists(resource) ? Render(resource) : LoadFile(resource));
        }

        if (k.Has("namespace"))
        {
            foreach (var o in objects.Where(o => o is not V1Namespace))
            {
                o.Metadata.NamespaceProperty = k.Str("namespace");
            }
        }

        if (k.Has("patches"))
        {
            foreach (var patch in k.Seq("patches").Cast<YamlMappingNode>())
            {
                foreach (var p in LoadFile(Path.Combine(dir, patch.Str("path"))).Cast<V1Deployment>())
                {
                    StrategicMerge.Apply(objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == p.Metadata.Name), p);
                }
            }
        }

        if (k.Has("images"))
        {
            foreach (var image in k.Seq("images").Cast<YamlMappingNode>())
            {
                foreach (var c in PodTemplates(objects).SelectMany(t => t.Spec.Containers))
                {
                    if (c.Image.Split(':')[0] == image.Str("name"))
                    {
                        c.Image = $"{(image.Has("newName") ? image.Str("newName") : image.Str("name"))}:{image.Str("newTag")}";
                    }
                }
            }
        }

        return objects;
    }

    /// <summary>The pod templates of the workloads (Deployments and StatefulSets), which images: and selectors apply to.</summary>
    public static IEnumerable<V1PodTemplateSpec> PodTemplates(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects) =>
        objects.OfType<V1Deployment>().Select(d => d.Spec.Template).Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template));
}
