using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Lora.Grains.Storage;

/// <summary>
/// A grain's stored record read when first needed instead of at activation (as <c>[PersistentState]</c> does): a
/// record that cannot be read fails the operation that needs it, not every activation of the grain, so the grain
/// still answers, can end its job with a clear error, and can delete the record.
/// </summary>
public sealed class DeferredState<T>(IGrainStorage storage, string stateName, GrainId grainId) where T : class, new()
{
    private readonly GrainState<T> _record = new(new T());
    private bool _loaded;

    /// <summary>The record, read from storage the first time. A record whose bytes cannot be deserialized raises
    /// <see cref="InvalidDataException"/> naming it; anything else the storage raised (a timeout) passes unchanged.</summary>
    public async Task<T> ReadAsync()
    {
        if (_loaded) return _record.State ??= new T();
        try { await storage.ReadStateAsync(stateName, grainId, _record); }
        catch (Exception e) when (e is not InvalidDataException && IsUnreadable(e))
        {
            throw new InvalidDataException($"stored state '{stateName}' of {grainId} is unreadable: {e.Message}", e);
        }
        _loaded = true;
        return _record.State ??= new T();   // storages differ in what they leave when there is no record
    }

    /// <summary>Replaces the record, whatever it held (even unreadable bytes, when the storage could tell their ETag).
    /// When the write fails, the next read asks storage again: it alone knows whether the write landed.</summary>
    public async Task WriteAsync(T state)
    {
        await LearnETag();
        _record.State = state;
        try { await storage.WriteStateAsync(stateName, grainId, _record); }
        catch
        {
            _loaded = false;
            throw;
        }
    }

    /// <summary>Removes the record if there is one, readable or not.</summary>
    public async Task ClearAsync()
    {
        await LearnETag();
        if (!_record.RecordExists && _record.ETag is null) return;
        try { await storage.ClearStateAsync(stateName, grainId, _record); }
        catch
        {
            _loaded = false;
            throw;
        }
        _loaded = true;
    }

    /// <summary>Storage may have changed without this activation knowing (a failed write that landed): read afresh next time.</summary>
    public void Forget() => _loaded = false;

    /// <summary>Reads the record for its ETag only: a storage that cannot deserialize it may still have told the ETag
    /// (file storage does), which is all a replacing write or a clear needs.</summary>
    private async Task LearnETag()
    {
        if (_loaded) return;
        try { await ReadAsync(); }
        catch (InvalidDataException) { _record.RecordExists = true; }   // bytes are there; without their ETag the storage refuses, as it should
    }

    /// <summary>Bytes that do not deserialize, as opposed to a storage that did not answer (which a retry may cure).</summary>
    private static bool IsUnreadable(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is InvalidDataException or SerializerException or FormatException or EndOfStreamException or InvalidCastException) return true;
        return false;
    }
}
