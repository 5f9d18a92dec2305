namespace Lora.Silo.Configuration;

/// <summary>How silos find each other (<c>--clustering</c>).</summary>
public enum ClusteringMode
{
    /// <summary>Development clustering: one primary silo, others point at it with <c>--primary</c>.</summary>
    Localhost,
    /// <summary>Membership table in Redis: the cluster profile (compose, Kubernetes).</summary>
    Redis,
}
