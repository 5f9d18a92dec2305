using System.CommandLine;
using Lora.Cli.Output;

namespace Lora.Cli.Commands.Demo;

/// <summary>
/// `lora demo`: README's "run the main job". Starts an embedded single-silo cluster, trains the bundled example tasks
/// concurrently with live progress, then prints per task the eval loss before/after, held-out exact match, a sample
/// generation and where the PEFT adapter was written.
/// </summary>
public static class DemoCommand
{
    public static RootCommand AddDemoCommand(this RootCommand root)
    {
        root.Subcommands.Add(Create());
        return root;
    }

    public static Command Create()
    {
        var jobs = Opt("--jobs", DemoSettings.DefaultJobs, "Jobs to train concurrently, cycling over add, reverse, sort, upper, vowels.");
        var steps = Opt("--steps", DemoSettings.DefaultSteps, "Optimizer steps per job.");
        var outDir = Opt("--out", DemoSettings.DefaultOut, "Directory for the adapters and the embedded silo's job state.");
        var gatewayPort = Opt("--gateway-port", 0, "Gateway port of the embedded silo (default: a free port).");
        var siloPort = Opt("--silo-port", 0, "Silo-to-silo port of the embedded silo (default: a free port).");
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the results instead of progress and a table." };
        var command = new Command("demo", "Train the bundled example tasks on an embedded single-silo cluster and show what the adapters learned.")
        {
            jobs, steps, outDir, gatewayPort, siloPort, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new DemoSettings
            {
                Jobs = parse.GetValue(jobs), Steps = parse.GetValue(steps), Out = parse.GetValue(outDir)!,
                GatewayPort = parse.GetValue(gatewayPort), SiloPort = parse.GetValue(siloPort), Json = parse.GetValue(json),
            }.Validate();
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var console = ConsoleFactory.For(stdout);
            var result = await new DemoRunner(settings, console).RunAsync(ct);
            if (settings.Json) JsonOutput.Write(stdout, result.ToJson());
            else DemoTable.Write(console, result);
            // The results are printed either way; a job that did not complete still fails the command for scripts.
            return result.Problem() is { } problem ? CliErrors.Write(stderr, problem) : 0;
        });
        return command;
    }

    private static Option<T> Opt<T>(string name, T fallback, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => fallback };
}
