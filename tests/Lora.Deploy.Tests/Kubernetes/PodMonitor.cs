using k8s;
using k8s.Models;

namespace Lora.Deploy.Tests.Kubernetes;

/// <summary>The fields of the Prometheus Operator's PodMonitor (monitoring.coreos.com/v1) that the checks read.</summary>
public sealed class PodMonitor : IKubernetesObject<V1ObjectMeta>
{
    public const string TypeKey = "monitoring.coreos.com/v1/PodMonitor";

    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public PodMonitorSpec Spec { get; set; } = new();
}

public sealed class PodMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();

    public List<PodMetricsEndpoint> PodMetricsEndpoints { get; set; } = [];
}

public sealed class PodMetricsEndpoint
{
    public string Port { get; set; } = "";

    public string Path { get; set; } = "";
}
