namespace Lora.Bench;

/// <summary>Progress goes to stderr so stdout carries only the JSON report.</summary>
public static class Log
{
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

    public static void Info(string message) => Console.Error.WriteLine($"[{Clock.Elapsed.TotalSeconds,6:F1}s] {message}");
}
