namespace Lora.Abstractions;

/// <summary>Lifecycle of a training job. Completed, Failed and Canceled are final.</summary>
[GenerateSerializer, Alias("lora.JobState")]
public enum JobState
{
    Queued = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
    Canceled = 4,
}
