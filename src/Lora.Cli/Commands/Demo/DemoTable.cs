using System.Globalization;
using Lora.Abstractions;
using Spectre.Console;

namespace Lora.Cli.Commands.Demo;

/// <summary>The human-readable end of the demo: one row per job, then where the adapters are.</summary>
public static class DemoTable
{
    public static void Write(IAnsiConsole console, DemoResult result)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("task").AddColumn("job").AddColumn("state")
            .AddColumn(new TableColumn("eval loss base → adapter").RightAligned())
            .AddColumn(new TableColumn("exact match").RightAligned())
            .AddColumn("sample prompt → generation")
            .AddColumn("adapter");
        foreach (var j in result.Jobs)
            table.AddRow(
                Markup.Escape(j.Task),
                Markup.Escape(j.JobId),
                State(j),
                $"{Loss(j.BaseEvalLoss)} → {Loss(j.FinalEvalLoss)}",
                j.HeldOut == 0 ? "-" : $"{j.Correct}/{j.HeldOut}",
                Sample(j),
                Markup.Escape(j.AdapterDir is null ? "-" : Path.GetRelativePath(result.OutDir, j.AdapterDir)));
        console.Write(table);
        var inv = CultureInfo.InvariantCulture;
        console.MarkupLine(Markup.Escape(string.Create(inv,
            $"{result.Jobs.Count} jobs × {result.Steps} steps on {result.BaseModel} trained concurrently in {result.TrainSeconds:F0} s ({result.TotalSeconds:F0} s in all)")));
        console.MarkupLine(Markup.Escape($"PEFT adapters (adapter_model.safetensors + adapter_config.json) written under {Path.Combine(result.OutDir, "adapters")}"));
        console.MarkupLine(Markup.Escape($"exact match: greedy generations via the cluster on {DemoSettings.HeldOutPrompts} held-out prompts per job, none of them in the training data"));
    }

    private static string State(DemoJobResult j)
    {
        var color = j.State == JobState.Completed ? "green" : "red";
        var error = j.Error is { Length: > 0 } e ? ": " + e : "";
        return $"[{color}]{Markup.Escape(j.State + error)}[/]";
    }

    private static string Loss(double? loss) => loss is { } l ? l.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private static string Sample(DemoJobResult j)
    {
        if (j.SamplePrompt is null) return "-";
        // Generations may contain newlines or trailing text after the answer; show them visibly, in quotes.
        var shown = (j.SampleGeneration ?? "").Replace("\n", "\\n", StringComparison.Ordinal);
        var mark = j.SampleCorrect ? "[green]✓[/]" : "[red]✗[/]";
        return $"{Markup.Escape(j.SamplePrompt)} → \"{Markup.Escape(shown)}\" {mark}";
    }
}
