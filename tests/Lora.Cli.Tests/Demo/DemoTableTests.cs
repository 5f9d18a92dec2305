using Lora.Abstractions;
using Lora.Cli.Commands.Demo;
using Spectre.Console;

namespace Lora.Cli.Tests.Demo;

public sealed class DemoTableTests
{
    [Fact]
    public void Each_job_row_fits_one_line_of_an_80_column_log()
    {
        var jobs = new[]
        {
            Job("reverse-1", JobState.Completed, "reverse: dale =", " elad"),
            Job("vowels-2", JobState.Completed, "vowels: banana =", " 3\nvowels"),
            Job("sort-1", JobState.Failed, "sort: dbca =", null, "loss became NaN at step 12"),
        };
        var text = Render(new DemoResult("builtin-tiny", "127.0.0.1:30000", 600, "/tmp/out", 110, 115, jobs), width: 80);
        var lines = text.Split('\n');
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"too wide: {l}"));
        var reverse = Assert.Single(lines, l => l.Contains("reverse-1"));
        Assert.Contains("3.577 → 1.910", reverse);
        Assert.Contains("7/10", reverse);
        Assert.Contains("reverse: dale = → \" elad\" ✓", reverse);
        Assert.Contains(lines, l => l.Contains("\" 3\\nvowels\""));   // a newline in a generation stays visible
        Assert.Contains("Failed: loss became NaN", text.Replace("\n", " ").Replace("│", " "));
        Assert.Contains("  /tmp/out/adapters/<job>", lines);
        // The footer is written in lines that fit, so none is wrapped mid-sentence.
        Assert.Contains("eval loss: base → adapter, on each job's held-out split", lines);
        Assert.Contains("PEFT adapter folders (adapter_model.safetensors, adapter_config.json):", lines);
        Assert.Contains("       per job (none of them in the training data)", lines);
    }

    private static DemoJobResult Job(string id, JobState state, string prompt, string? generation, string? error = null) => new()
    {
        Task = id[..id.IndexOf('-')], JobId = id, State = state, Error = error, Step = 600, TotalSteps = 600,
        BaseEvalLoss = 3.577, FinalEvalLoss = 1.910, HeldOut = 10, Correct = 7, SamplePrompt = prompt,
        SampleGeneration = generation, SampleCorrect = generation == " elad", AdapterDir = $"/tmp/out/adapters/{id}",
        DatasetSource = "examples/x.jsonl",
    };

    private static string Render(DemoResult result, int width)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        DemoTable.Write(console, result);
        return writer.ToString();
    }
}
