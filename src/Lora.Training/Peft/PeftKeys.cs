using System.Text.RegularExpressions;

namespace Lora.Training.Peft;

/// <summary>PEFT's state-dict key names for LoRA factors: base_model.model.&lt;module path&gt;.lora_A.weight.</summary>
internal static partial class PeftKeys
{
    public const string Prefix = "base_model.model.";

    public static string A(string modulePath) => $"{Prefix}{modulePath}.lora_A.weight";
    public static string B(string modulePath) => $"{Prefix}{modulePath}.lora_B.weight";

    /// <summary>
    /// Splits a key into module path and factor. Accepts the adapter-name form PEFT uses in memory and some tools
    /// save (".lora_A.default.weight"), and keys without the base_model.model. prefix.
    /// </summary>
    public static bool TryParse(string key, out string modulePath, out bool isA)
    {
        var m = KeyPattern().Match(key);
        modulePath = m.Success ? m.Groups["path"].Value : "";
        isA = m.Success && m.Groups["ab"].Value == "A";
        if (modulePath.StartsWith(Prefix, StringComparison.Ordinal)) modulePath = modulePath[Prefix.Length..];
        return m.Success;
    }

    [GeneratedRegex(@"^(?<path>.+)\.lora_(?<ab>[AB])(?:\.[^.]+)?\.weight$")]
    private static partial Regex KeyPattern();
}
