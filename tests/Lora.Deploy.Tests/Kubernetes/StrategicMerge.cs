using k8s.Models;

namespace Lora.Deploy.Tests.Kubernetes;

/// <summary>
/// The subset of strategic merge the overlays use: maps merge, containers merge by name, env merges by name,
/// resource quantities merge by key, tolerations are replaced (they have no merge key).
/// </summary>
internal static class StrategicMerge
{
    public static void Apply(V1Deployment target, V1Deployment patch)
    {
        var into = target.Spec.Template.Spec;
        var from = patch.Spec.Template.Spec;
        if (from.NodeSelector is not null)
        {
            into.NodeSelector ??= new Dictionary<string, string>();
            foreach (var (k, v) in from.NodeSelector)
            {
                into.NodeSelector[k] = v;
            }
        }

        if (from.Tolerations is not null)
        {
            into.Tolerations = from.Tolerations;
        }

        into.TerminationGracePeriodSeconds = from.TerminationGracePeriodSeconds ?? into.TerminationGracePeriodSeconds;
        foreach (var c in from.Containers ?? [])
        {
            var container = into.Containers.Single(x => x.Name == c.Name);
            container.Image = c.Image ?? container.Image;
            foreach (var e in c.Env ?? [])
            {
                container.Env.Remove(container.Env.SingleOrDefault(x => x.Name == e.Name)!);
                container.Env.Add(e);
            }

            if (c.Resources is not null)
            {
                container.Resources ??= new V1ResourceRequirements();
                container.Resources.Requests = Merge(container.Resources.Requests, c.Resources.Requests);
                container.Resources.Limits = Merge(container.Resources.Limits, c.Resources.Limits);
            }
        }
    }

    private static IDictionary<string, ResourceQuantity>? Merge(
        IDictionary<string, ResourceQuantity>? into, IDictionary<string, ResourceQuantity>? from)
    {
        if (from is null)
        {
            return into;
        }

        var merged = new Dictionary<string, ResourceQuantity>(into ?? new Dictionary<string, ResourceQuantity>());
        foreach (var (k, v) in from)
        {
            merged[k] = v;
        }

        return merged;
    }
}
