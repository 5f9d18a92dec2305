namespace Lora.Training.Pretraining;

/// <summary>A held-out prompt with the base's and the adapter's greedy generations. A record rather than a tuple, so
/// `--json` writes its fields (System.Text.Json skips a tuple's).</summary>
public sealed record DemoSample(string Prompt, string Base, string Adapter);
