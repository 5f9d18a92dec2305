namespace Lora.Training.Data;

/// <summary>
/// One training sequence. <see cref="Labels"/>[t] is the token to predict after <see cref="InputIds"/>[t],
/// or <see cref="IgnoreIndex"/> where no loss is taken (prompt tokens, padding).
/// </summary>
public sealed record TrainingExample(int[] InputIds, int[] Labels)
{
    public const int IgnoreIndex = -100;
    public int Length => InputIds.Length;
    public int LossTokens => Labels.Count(l => l != IgnoreIndex);
}
