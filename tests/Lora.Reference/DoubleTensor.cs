namespace Lora.Reference;

/// <summary>
/// A dense row-major tensor of doubles: the only storage type of the reference.
/// Double precision everywhere so the reference's own rounding error (~1e-15) is far
/// below the ~1e-4 tolerance the product's float32 TorchSharp path is checked against.
/// </summary>
public sealed class DoubleTensor
{
    public DoubleTensor(int[] shape, double[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"Negative dimension in shape [{string.Join(",", shape)}].");
            count *= dim;
        }
        if (count != data.Length)
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] needs {count} elements, got {data.Length}.");
        Shape = (int[])shape.Clone();
        Data = data;
    }

    public int[] Shape { get; }

    public double[] Data { get; }

    public int Rank => Shape.Length;

    /// <summary>Element [row, col] of a 2-D tensor.</summary>
    public double this[int row, int col] => Data[row * Shape[1] + col];

    /// <summary>Throws unless this tensor has exactly the given shape; names the tensor in the message.</summary>
    public DoubleTensor Expect(string name, params int[] shape)
    {
        if (!Shape.AsSpan().SequenceEqual(shape))
            throw new InvalidDataException(
                $"Tensor '{name}' has shape [{string.Join(",", Shape)}], expected [{string.Join(",", shape)}].");
        return this;
    }
}
