using static TorchSharp.torch;

namespace Lora.Training.Checkpoints;

/// <summary>The safetensors dtype codes this engine reads and writes, and how each maps to a torch dtype.</summary>
internal static class SafetensorsDType
{
    public static string Code(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float16 => "F16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"dtype {type} cannot be written to safetensors by this engine."),
    };

    /// <summary>The dtype the bytes are stored in, or null when the code is unknown.</summary>
    public static ScalarType? Parse(string code) => code switch
    {
        "F32" => ScalarType.Float32,
        "BF16" => ScalarType.BFloat16,
        "F16" => ScalarType.Float16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => null,
    };

    public static int Size(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>
    /// The dtype a stored tensor is materialised in: fp16 becomes fp32 because fp16 compute on CPU is ~1000× slower
    /// (notes/torchsharp.md) and every consumer here computes in fp32 or bf16.
    /// </summary>
    public static ScalarType Materialised(ScalarType stored) => stored == ScalarType.Float16 ? ScalarType.Float32 : stored;
}
