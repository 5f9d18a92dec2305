using System.Globalization;
using Lora.Abstractions;
using Spectre.Console;

namespace Lora.Cli.Commands.Cluster;

/// <summary>Human-readable tables for jobs and models.</summary>
internal static class StatusTables
{
    public static Table Jobs(IEnumerable<JobStatus> statuses)
    {
        var table = new Table().AddColumns("Job", "Base model", "State", "Step", "Train loss", "Eval loss", "Error");
        foreach (var s in statuses)
            table.AddRow(
                Markup.Escape(s.JobId), Markup.Escape(s.BaseModel), StateMarkup(s.State),
                $"{s.Step}/{s.TotalSteps}", Loss(s.TrainLoss), Loss(s.EvalLoss), Markup.Escape(s.Error ?? ""));
        return table;
    }

    public static Table Models(IEnumerable<BaseModelInfo> models)
    {
        var table = new Table().AddColumns("Model", "Silo", "Layers", "Hidden", "Vocab", "Context", "Parameters", "Dtype", "Device");
        foreach (var m in models)
            table.AddRow(
                Markup.Escape(m.Id), Markup.Escape(m.Silo), Int(m.Layers), Int(m.Hidden), Int(m.Vocab), Int(m.MaxContext),
                m.Parameters.ToString("N0", CultureInfo.InvariantCulture), Markup.Escape(m.Dtype), Markup.Escape(m.Device));
        return table;
    }

    public static string StateMarkup(JobState state) => state switch
    {
        JobState.Completed => "[green]Completed[/]",
        JobState.Failed => "[red]Failed[/]",
        JobState.Canceled => "[yellow]Canceled[/]",
        JobState.Running => "[blue]Running[/]",
        _ => state.ToString(),
    };

    public static string Loss(double? loss) => loss is { } l ? l.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
