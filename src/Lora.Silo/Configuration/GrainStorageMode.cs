namespace Lora.Silo.Configuration;

/// <summary>Where adapter checkpoints and the job index are persisted (<c>--storage</c>).</summary>
public enum GrainStorageMode
{
    /// <summary>Local files with atomic writes under <c>--data-dir</c>.</summary>
    Files,
    Redis,
    /// <summary>Lost on restart: tests and throw-away runs only.</summary>
    Memory,
}
