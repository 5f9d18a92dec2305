using System.Globalization;
using Lora.Abstractions;
using Spectre.Console;

namespace Lora.Cli.Commands.Demo;

/// <summary>The human-readable end of the demo: one row per job, then where the adapters are. Four narrow columns,
/// so a row stays on one line in an 80-column terminal or a CI log (the job id names the task, the adapter folder is
/// the job id under the printed adapters directory, and a job that did not complete shows its state and error where
/// its sample would be).</summary>
public static class DemoTable
{
    public static void Write(IAnsiConsole console, DemoResult result)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("job")
            .AddColumn(new TableColumn("eval loss").RightAligned())
            .AddColumn(new TableColumn("exact").RightAligned())
            .AddColumn("held-out sample: prompt → generation");
        foreach (var j in result.Jobs)
            table.AddRow(Markup.Escape(j.JobId), $"{Loss(j.BaseEvalLoss)} → {Loss(j.FinalEvalLoss)}",
                j.HeldOut == 0 ? "-" : $"{j.Correct}/{j.HeldOut}", j.State == JobState.Completed ? Sample(j) : State(j));
        console.Write(table);
        var inv = CultureInfo.InvariantCulture;
        console.MarkupLine(Markup.Escape(string.Create(inv,
            $"{result.Jobs.Count} jobs × {result.Steps} steps on {result.BaseModel} trained concurrently in {result.TrainSeconds:F0} s ({result.TotalSeconds:F0} s in all)")));
        // Short lines: a CI log or a piped terminal is 80 columns, and a wrapped sentence is hard to read.
        console.MarkupLine("eval loss: base → adapter, on each job's held-out split");
        console.MarkupLine(Markup.Escape($"exact: greedy generations via the cluster that match, of {DemoSettings.HeldOutPrompts} held-out prompts"));
        console.MarkupLine("       per job (none of them in the training data)");
        console.MarkupLine("PEFT adapter folders (adapter_model.safetensors, adapter_config.json):");
        console.MarkupLine(Markup.Escape($"  {Path.Combine(result.OutDir, "adapters")}{Path.DirectorySeparatorChar}<job>"));
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
