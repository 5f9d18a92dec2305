namespace Lora.Training.Data;

/// <summary>Where a <see cref="DataCursor"/> stands: the next example is order(Epoch)[Index]. Two ints, so a checkpoint stores it trivially.</summary>
public readonly record struct CursorPosition(int Epoch, int Index);
