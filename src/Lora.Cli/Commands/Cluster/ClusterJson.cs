using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lora.Cli.Commands.Cluster;

/// <summary>The --json format: camelCase, enums as names ("Running"), indented for people who read it too.</summary>
internal static class ClusterJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(), new FiniteOrNullConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void Print<T>(TextWriter stdout, T value) => stdout.WriteLine(Serialize(value));

    /// <summary>JSON has no NaN: a loss a silo reports as NaN (records stored before it reported null for "not
    /// measured") is written as null instead of failing the whole output.</summary>
    private sealed class FiniteOrNullConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
