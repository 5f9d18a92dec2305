using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lora.Cli.Commands.Cluster;

/// <summary>The --json format: camelCase, enums as names ("Running"), indented for people who read it too.</summary>
internal static class ClusterJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void Print<T>(T value) => Console.Out.WriteLine(Serialize(value));
}
