using Lora.Silo.Configuration;

namespace Lora.Deploy.Tests.Support;

/// <summary>The Markdown options table of docs/operations.md, rendered from <see cref="SiloOptions.All"/>.</summary>
internal static class OptionsTable
{
    public static string Render()
    {
        var lines = new List<string>
        {
            "| switch | environment variable | default | description |",
            "|---|---|---|---|",
        };
        lines.AddRange(SiloOptions.All.Select(o =>
            $"| `{o.Switch}` | `{o.EnvVar}` | {(o.Default.Length == 0 ? "(empty)" : $"`{o.Default}`")} | {o.Description} |"));
        return string.Join('\n', lines);
    }
}
