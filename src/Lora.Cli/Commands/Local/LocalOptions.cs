using System.CommandLine;

namespace Lora.Cli.Commands.Local;

/// <summary>Options shared by the local commands, so the same flag means the same thing everywhere.</summary>
internal static class LocalOptions
{
    public static Option<string> Model() => new("--model")
    {
        Description = "Base model directory in HuggingFace format (config.json, *.safetensors, tokenizer.json).",
        Required = true,
    };

    public static Option<string?> Adapter() => new("--adapter") { Description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors)." };

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, cuda, cuda:N or auto (CUDA when available).",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<string?> Dtype(string defaultDescription) => new("--dtype")
    {
        Description = $"Base weight dtype in memory: float32 or bfloat16 (default: {defaultDescription}).",
    };

    /// <summary>Intra-op threads. Tiny models and busy shared machines run far faster with 1: every op is a
    /// barrier across the pool, and one descheduled worker stalls it.</summary>
    public static Option<int> Threads() => new("--threads")
    {
        Description = "Torch intra-op threads (0: torch's default, one per core).",
        DefaultValueFactory = _ => 0,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object (camelCase) on stdout." };

    public static Option<long> Seed() => new("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0 };
}
