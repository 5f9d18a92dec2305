using Lora.Training.Engine;
using Spectre.Console;

namespace Lora.Cli.Output;

/// <summary>A Spectre.Console progress bar over optimizer steps, showing the latest training loss.</summary>
public static class TrainingProgressView
{
    public static async Task<T> RunAsync<T>(IAnsiConsole console, int totalSteps, Func<IProgress<TrainingStepResult>, Task<T>> work)
    {
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"step 0/{totalSteps}", maxValue: totalSteps);
                result = await work(new InlineProgress(step =>
                {
                    task.Value = step.Step;
                    task.Description = $"step {step.Step}/{totalSteps} loss {step.Loss:F4}";
                }));
                task.Value = totalSteps;
            });
        return result;
    }

    /// <summary>System.Progress posts to the thread pool, so reports could arrive out of order or after the bar
    /// finished; reporting inline keeps the bar exactly in step with training.</summary>
    private sealed class InlineProgress(Action<TrainingStepResult> report) : IProgress<TrainingStepResult>
    {
        public void Report(TrainingStepResult value) => report(value);
    }
}
