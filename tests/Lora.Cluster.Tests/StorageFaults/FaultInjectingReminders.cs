using Orleans.Runtime;

namespace Lora.Cluster.Tests.StorageFaults;

/// <summary>The silo's reminder table with registrations that fail on demand, as a Redis reminder table does when
/// Redis is unreachable. Everything else passes straight through.</summary>
public sealed class FaultInjectingReminders(IReminderTable inner) : IReminderTable
{
    /// <summary>Decides per registration (grain, reminder name) whether it fails.</summary>
    public static Func<GrainId, string, bool>? FailUpsert { get; set; }

    public Task<ReminderTableData> ReadRows(GrainId grainId) => inner.ReadRows(grainId);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => inner.ReadRows(begin, end);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => inner.ReadRow(grainId, reminderName);

    public Task<string?> UpsertRow(ReminderEntry entry) =>
        FailUpsert?.Invoke(entry.GrainId, entry.ReminderName) == true
            ? throw new TimeoutException($"injected: registration of reminder '{entry.ReminderName}' failed")
            : inner.UpsertRow(entry);

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => inner.RemoveRow(grainId, reminderName, eTag);

    public Task TestOnlyClearTable() => inner.TestOnlyClearTable();
}
