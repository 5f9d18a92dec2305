namespace Lora.Training.Engine;

/// <summary>What one fused pass did, for metrics: adapters served, tokens processed, wall time, updates made.</summary>
public sealed record FusedPassReport(int Adapters, int Tokens, TimeSpan Duration, int OptimizerSteps, int Failures);
