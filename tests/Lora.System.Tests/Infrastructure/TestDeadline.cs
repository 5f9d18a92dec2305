namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// One deadline per system test, which every wait in it uses: a wait keeps its own limit (for a precise message) but
/// never runs past the test's deadline, so the longest test still fails with its own message and cleans up before
/// .ci/run's `--blame-hang-timeout 8m` would kill the test host as hung (leaving Redis and silos behind). Started by
/// <see cref="SystemTest"/>'s constructor; the tests run one at a time (<see cref="SystemCollection"/>). Cleanup
/// (DisposeAsync) uses short limits of its own instead: it must run after a test that used up its deadline.
/// </summary>
internal static class TestDeadline
{
    /// <summary>Under the 8-minute hang timeout by the cleanup's worst case (SIGKILLs, Redis shutdown: under a minute).</summary>
    public static readonly TimeSpan PerTest = TimeSpan.FromMinutes(7);

    private static DateTime? _end;

    public static void Start() => _end = DateTime.UtcNow + PerTest;

    /// <summary>A wait of <paramref name="limit"/>, cut short by the test's deadline.</summary>
    public static Wait For(TimeSpan limit)
    {
        var end = _end ?? throw new InvalidOperationException(
            $"no test deadline: system test classes derive from {nameof(SystemTest)}, whose constructor starts it");
        var now = DateTime.UtcNow;
        return now + limit <= end
            ? new Wait(now + limit, $"{limit.TotalSeconds:0} s")
            : new Wait(end, $"{Math.Max(0, (end - now).TotalSeconds):0} s (all that was left of the test's {PerTest.TotalMinutes:0}-minute deadline)");
    }
}

/// <summary>A wait's end; prints as its length, for failure messages ("… within {wait}").</summary>
internal readonly record struct Wait(DateTime End, string Length)
{
    /// <summary>A wait that ignores the test's deadline: for cleanup, which must run after a test that used it up.</summary>
    public static Wait Fixed(TimeSpan limit) => new(DateTime.UtcNow + limit, $"{limit.TotalSeconds:0} s");

    public bool Expired => DateTime.UtcNow >= End;

    public TimeSpan Remaining => End > DateTime.UtcNow ? End - DateTime.UtcNow : TimeSpan.Zero;

    public override string ToString() => Length;
}

/// <summary>Base of every system test class. xUnit creates one instance per test, so the constructor (which runs before
/// IAsyncLifetime.InitializeAsync) starts that test's <see cref="TestDeadline"/>.</summary>
public abstract class SystemTest
{
    protected SystemTest() => TestDeadline.Start();
}
