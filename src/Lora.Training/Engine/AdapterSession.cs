using Lora.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Lora.Training.Engine;

/// <summary>
/// An adapter resident in the engine: its parameters and moments, data cursor and progress. The owning grain holds
/// this handle; only the engine's compute thread touches the tensors inside.
/// </summary>
public sealed class AdapterSession
{
    internal AdapterSession(AdapterJob job, AdapterParameters parameters, DataCursor cursor, int step)
    {
        Job = job;
        Parameters = parameters;
        Cursor = cursor;
        Step = step;
    }

    public AdapterJob Job { get; }
    public string JobId => Job.JobId;
    /// <summary>Optimizer steps completed.</summary>
    public int Step { get; internal set; }
    public long StateBytes => Parameters.StateBytes;
    public bool Released { get; internal set; }

    internal AdapterParameters Parameters { get; }
    internal DataCursor Cursor { get; }

    internal static AdapterSession Open(AdapterJob job, AdapterLayout layout, AdapterCheckpoint? resume, Device device)
    {
        var parameters = AdapterParameters.Create(layout, job.Lora, device);
        if (resume is null) return new AdapterSession(job, parameters, new DataCursor(job.Train, job.Training.Seed), 0);
        try
        {
            if (resume.Flat.Length != layout.Size)
                throw new InvalidDataException($"checkpoint holds {resume.Flat.Length} parameters; the job's adapter layout needs {layout.Size}.");
            using (no_grad())
            {
                using var flat = tensor(resume.Flat, device: device);
                using var m = tensor(resume.M, device: device);
                using var v = tensor(resume.V, device: device);
                parameters.Flat.copy_(flat);
                parameters.M.copy_(m);
                parameters.V.copy_(v);
            }
            // libtorch aborts the whole process (not an exception) on a state of the wrong size, e.g. one saved by a
            // generator of another device type: check it here, where a bad checkpoint can still just fail its job.
            using (var current = parameters.Generator.get_state())
            {
                if (current.shape[0] != resume.GeneratorState.Length)
                    throw new InvalidDataException($"checkpoint: the dropout generator state has {resume.GeneratorState.Length} bytes; " +
                        $"this silo's {device.type} generator needs {current.shape[0]} (saved on another device type?).");
            }
            using (var state = tensor(resume.GeneratorState, dtype: ScalarType.Byte)) parameters.Generator.set_state(state);
            return new AdapterSession(job, parameters, new DataCursor(job.Train, job.Training.Seed, resume.Cursor), resume.Step);
        }
        catch
        {
            parameters.Dispose();
            throw;
        }
    }

    internal AdapterCheckpoint Snapshot()
    {
        using var _ = no_grad();
        using var detached = Parameters.Flat.detach();   // its own handle: disposed too, or it pins Flat's storage
        using var flat = detached.cpu();
        using var m = Parameters.M.cpu();
        using var v = Parameters.V.cpu();
        using var generator = Parameters.Generator.get_state();
        return new AdapterCheckpoint(Step, Cursor.Position, flat.data<float>().ToArray(), m.data<float>().ToArray(),
            v.data<float>().ToArray(), generator.data<byte>().ToArray());
    }
}
