using Lora.Abstractions;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;

namespace Lora.Grains.Hosting;

/// <summary>
/// Publishes this silo's base model to the registry grain, and keeps doing so: the registry is soft state (it may be
/// re-activated elsewhere after a failure), so periodic re-registration is what makes it converge.
/// </summary>
public sealed class ModelRegistration(IGrainFactory grains, ILocalSiloDetails silo, SiloModelHost host) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);

    public BaseModelInfo Info => new()
    {
        Id = host.BaseModelId,
        Silo = silo.SiloAddress.ToString(),
        Layers = host.Model.Config.NumHiddenLayers,
        Hidden = host.Model.Config.HiddenSize,
        Vocab = host.Model.Config.VocabSize,
        MaxContext = host.Model.Config.MaxPositionEmbeddings,
        Parameters = host.ParameterCount,
        Dtype = host.Model.Model.WeightDtype.ToString().ToLowerInvariant(),
        Device = host.Device,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var info = Info;
        var registered = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IModelRegistryGrain>(0).Register(info);
                registered = true;
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested) { /* cluster still forming */ }
            // Until the first registration lands, clients would be told the model is not hosted: retry quickly.
            try { await Task.Delay(registered ? Period : FirstRetry, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
