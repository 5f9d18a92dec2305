using Spectre.Console;

namespace Lora.Cli.Output;

/// <summary>Spectre consoles bound to the invocation's writers rather than the process console, so --json can send
/// progress to stderr and tests can capture everything.</summary>
public static class ConsoleFactory
{
    public static IAnsiConsole For(TextWriter writer)
    {
        var isTerminal = (writer == Console.Out && !Console.IsOutputRedirected) || (writer == Console.Error && !Console.IsErrorRedirected);
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }
}
