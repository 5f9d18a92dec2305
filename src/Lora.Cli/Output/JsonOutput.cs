using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lora.Cli.Output;

/// <summary>--json output: one compact camelCase object per invocation, so `| jq` and scripts can parse stdout.</summary>
public static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static void Write<T>(TextWriter stdout, T value)
    {
        stdout.WriteLine(JsonSerializer.Serialize(value, Options));
        stdout.Flush();
    }

    /// <summary>JSON has no NaN: a loss that was not measured (e.g. no eval split) is null.</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
