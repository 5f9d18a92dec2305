namespace Lora.Silo.Configuration;

/// <summary>Where reminders live (<c>--reminders</c>); only a durable store lets jobs survive a silo loss.</summary>
public enum RemindersMode
{
    Memory,
    Redis,
}
