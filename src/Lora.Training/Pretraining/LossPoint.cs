namespace Lora.Training.Pretraining;

/// <summary>One logged point of the pretraining loss curve. A record rather than a tuple: System.Text.Json writes
/// properties and skips a tuple's fields, so `--json` printed every point as <c>{}</c>.</summary>
public sealed record LossPoint(int Step, double Loss);
