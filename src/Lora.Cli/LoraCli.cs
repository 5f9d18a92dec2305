using System.CommandLine;
using Lora.Cli.Commands.Cluster;
using Lora.Cli.Commands.Demo;
using Lora.Cli.Commands.Local;
using Lora.Cli.Output;

namespace Lora.Cli;

/// <summary>The `lora` command line as a library: Program.cs and the tests both enter through <see cref="RunAsync"/>.</summary>
public static class LoraCli
{
    /// <summary>The full command tree. Each command family registers itself with one extension call.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("LoraCluster: train, evaluate and serve LoRA adapters on frozen Llama-family bases.");
        root.AddLocalCommands();
        root.AddClusterCommands();
        root.AddDemoCommand();
        return root;
    }

    /// <summary>
    /// Parses and runs one invocation. Returns 0 on success; on any failure writes exactly one line
    /// "error: &lt;message&gt;" to <paramref name="stderr"/> and returns 1 (no stack traces: users act on the message).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        try
        {
            var parse = CreateRootCommand().Parse(args);
            if (parse.Errors.Count > 0)
                return CliErrors.Write(stderr, string.Join("; ", parse.Errors.Select(e => e.Message).Distinct()));
            var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
            return await parse.InvokeAsync(config, cancellationToken);
        }
        catch (Exception e)
        {
            return CliErrors.Write(stderr, e);
        }
    }
}
