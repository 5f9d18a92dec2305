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
    /// <summary>The read in flight, which every reader joins: each would otherwise fetch the whole record again.</summary>
    private Task? _reading;
    /// <summary>Bumped by every write, clear or <see cref="Forget"/>: a read that began before one of them brings what
    /// storage held then, so it must not replace what this activation knows now.</summary>
    private int _generation;

    /// <summary>The record, read from storage the first time. A record whose bytes cannot be deserialized raises
    /// <see cref="InvalidDataException"/> naming it; anything else the storage raised (a timeout) passes unchanged.</summary>
    public async Task<T> ReadAsync()
    {
        // Again after a read overtaken by a write or clear: that one's outcome stands if it set one, else ask storage anew.
        while (!_loaded)
        {
            var read = _reading ??= ReadRecord(_generation);
            try { await read; }
            finally { if (_reading == read) _reading = null; }
        }
        return _record.State ??= new T();   // storages differ in what they leave when there is no record
    }

    private async Task ReadRecord(int generation)
    {
        // Into a record of its own: a read overtaken by a write or clear must leave _record (its ETag) untouched.
        var fresh = new GrainState<T>(new T());
        try { await storage.ReadStateAsync(stateName, grainId, fresh); }
        catch (Exception e) when (IsUnreadable(e))
        {
            // The bytes are there, and a storage that could not deserialize them may still have told their ETag (file
            // storage does): all a replacing write or a clear needs.
            if (generation == _generation) (_record.ETag, _record.RecordExists) = (fresh.ETag, true);
            if (e is InvalidDataException) throw;
            throw new InvalidDataException($"stored state '{stateName}' of {grainId} is unreadable: {e.Message}", e);
        }
        if (generation != _generation) return;
        (_record.State, _record.ETag, _record.RecordExists) = (fresh.State, fresh.ETag, fresh.RecordExists);
        _loaded = true;
    }

    /// <summary>Replaces the record, whatever it held (even unreadable bytes, when the storage could tell their ETag).
    /// When the write fails, the next read asks storage again: it alone knows whether the write landed.</summary>
    public async Task WriteAsync(T state)
    {
        await LearnETag();
        _record.State = state;
        await Change(() => storage.WriteStateAsync(stateName, grainId, _record));
    }

    /// <summary>Removes the record if there is one, readable or not.</summary>
    public async Task ClearAsync()
    {
        await LearnETag();
        if (!_record.RecordExists && _record.ETag is null) return;
        await Change(() => storage.ClearStateAsync(stateName, grainId, _record));
        _record.State = new T();   // Redis' clear leaves the old state in the record it was given
    }

    /// <summary>Storage may have changed without this activation knowing (a failed write that landed): read afresh next time.</summary>
    public void Forget()
    {
        _loaded = false;
        _generation++;
        _reading = null;   // a read in flight may predate what made storage uncertain: the next reader asks again
    }

    /// <summary>A write or clear: reads overlapping it are discarded, and on failure the next read asks storage.</summary>
    private async Task Change(Func<Task> change)
    {
        _generation++;
        try { await change(); }
        catch
        {
            Forget();
            throw;
        }
        _generation++;   // a read that began while the change was in flight may have seen storage before it
        _loaded = true;
    }

    /// <summary>Reads the record for its ETag only: a storage that cannot deserialize it may still have told the ETag
    /// (file storage does), which is all a replacing write or a clear needs.</summary>
    private async Task LearnETag()
    {
        if (_loaded) return;
        try { await ReadAsync(); }
        catch (InvalidDataException) { }   // bytes are there (ReadRecord noted it); without their ETag the storage refuses, as it should
    }

    /// <summary>Bytes that do not deserialize, as opposed to a storage that did not answer (which a retry may cure).</summary>
    private static bool IsUnreadable(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is InvalidDataException or SerializerException or FormatException or EndOfStreamException or InvalidCastException) return true;
        return false;
    }
}
