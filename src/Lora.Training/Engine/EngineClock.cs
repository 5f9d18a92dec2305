using System.Diagnostics;

namespace Lora.Training.Engine;

/// <summary>Monotonic time for the engine's deadlines: a wall clock stepped back (NTP, a VM resumed) would stall the
/// gathering of passes, and one stepped forward would rush them.</summary>
internal static class EngineClock
{
    private static readonly long Start = Stopwatch.GetTimestamp();

    /// <summary>Time since the engine code was first used; never negative, never goes back.</summary>
    public static TimeSpan Now => Stopwatch.GetElapsedTime(Start);
}
