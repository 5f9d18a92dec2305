using System.Reflection;
using Lora.Training.Data;
using Lora.Training.Engine;
using Lora.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lora.Bench;

/// <summary>
/// Builds adapter parameters like AdapterParameters.Create, but allocates the moments before wrapping the flat
/// vector in a Parameter (src evaluates nn.Parameter(flat) first, which moves flat's handle; see EngineSelector).
/// The constructor is private, so it is reached by reflection.
/// </summary>
public static class SessionFactory
{
    /// <summary>AdapterParameters.Create with the moments allocated before the flat vector is wrapped.</summary>
    public static AdapterParameters CreateParameters(AdapterLayout layout, LoraSettings settings, Device device)
    {
        var generator = new Generator((ulong)settings.Seed, device);
        var flat = zeros(layout.Size, device: device);
        using (no_grad())
        {
            foreach (var s in layout.Segments)
            {
                using var pair = LoraPair.Create(s.In, s.Out, settings, generator, device: device);
                using var a = flat.narrow(0, s.AOffset, (long)layout.Rank * s.In);
                using var flatA = pair.A.reshape(-1);
                a.copy_(flatA);
            }
        }
        var m = zeros_like(flat);
        var v = zeros_like(flat);
        var ctor = typeof(AdapterParameters).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance,
            [typeof(AdapterLayout), typeof(LoraSettings), typeof(Parameter), typeof(Tensor), typeof(Tensor), typeof(Generator)])!;
        return (AdapterParameters)ctor.Invoke([layout, settings, nn.Parameter(flat), m, v, generator]);
    }
}
