using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lora.System.Tests.Infrastructure;

/// <summary>
/// Keeps the servers the system tests start from outliving the test process, however it ends (a hang timeout kills
/// it with SIGKILL, and no DisposeAsync runs):
/// <list type="bullet">
/// <item>Silos and Prometheus start under util-linux's `setpriv --pdeathsig KILL`, so the kernel kills each when its
/// parent goes. Linux's "parent" is the thread that started it, and pool threads retire when idle, so every start
/// happens on one thread that lives as long as the process.</item>
/// <item>A daemonized redis-server has left its parent; its pid is <see cref="Record">recorded</see> (with its start
/// time, so a reused pid is never mistaken for it) in the file $LORACLUSTER_TEST_PID_FILE names, and .ci/run kills
/// whatever listed there still runs after `dotnet test`. (Not a LORA_ name: silos read those as options.)</item>
/// </list>
/// </summary>
internal static class ChildProcesses
{
    public const string PidFileVariable = "LORACLUSTER_TEST_PID_FILE";
    private static readonly string? Setpriv = new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists);
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Starts = [];
    private static readonly Lock PidFileLock = new();

    static ChildProcesses()
    {
        new Thread(() =>
        {
            foreach (var (process, started) in Starts.GetConsumingEnumerable())
            {
                try { process.Start(); started.SetResult(); }
                catch (Exception e) { started.SetException(e); }
            }
        }) { IsBackground = true, Name = "system-test process starter" }.Start();
    }

    /// <summary>Starts <paramref name="process"/> (its StartInfo set, its handlers attached) so that it dies with this
    /// process, and records it. Where setpriv is missing (not Debian), it starts plainly and is only recorded.</summary>
    public static async Task StartAsync(Process process)
    {
        var info = process.StartInfo;
        if (Setpriv is not null)
        {
            string[] command = ["--pdeathsig", "KILL", info.FileName, .. info.ArgumentList];
            info.FileName = Setpriv;
            info.ArgumentList.Clear();
            foreach (var a in command) info.ArgumentList.Add(a);
        }
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Starts.Add((process, started));
        await started.Task;
        Record(process.Id);   // setpriv execs the command: same pid
    }

    /// <summary>Appends "PID STARTTIME" to $LORACLUSTER_TEST_PID_FILE (when set) for .ci/run's cleanup.</summary>
    public static void Record(int pid)
    {
        if (Environment.GetEnvironmentVariable(PidFileVariable) is not { Length: > 0 } file || StartTime(pid) is not { } start) return;
        lock (PidFileLock) File.AppendAllText(file, $"{pid} {start}\n");
    }

    /// <summary>Field 22 of /proc/PID/stat (clock ticks after boot), which .ci/run compares before it kills.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // fields[0] is field 3, the state
            return fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
