namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// `promtool check metrics`: exit 0 = clean, 3 = lint findings only (the text parsed), 1 = the text is not a valid
/// exposition. Each finding line starts with the metric family it concerns, so findings can be split by owner.
/// </summary>
internal static class Promtool
{
    public sealed record Check(int ExitCode, IReadOnlyList<string> Findings, string Output)
    {
        public bool Parsed => ExitCode is 0 or 3;
    }

    public static async Task<Check> CheckMetricsAsync(string exposition)
    {
        ExternalTool.Require("promtool", "prometheus");
        var run = await ExternalTool.RunAsync("promtool", ["check", "metrics"], stdin: exposition);
        var findings = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new Check(run.ExitCode, findings, run.Output);
    }
}
