using Lora.Grains.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Lora.Silo.Hosting;

/// <summary>Ready when the base model is loaded and this silo is an active cluster member.</summary>
public sealed class SiloReadinessCheck(SiloModelHost host, ILocalSiloDetails silo, IClusterMembershipService membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var me = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(me == SiloStatus.Active
            ? HealthCheckResult.Healthy($"base model '{host.BaseModelId}' loaded; silo active")
            : HealthCheckResult.Unhealthy($"silo status {me}"));
    }
}
