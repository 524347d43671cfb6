using Spectre.Console;

namespace Retrieval.Cli.Tests;

/// <summary>Runs the real command tree in-process and captures what it prints.</summary>
internal static class CliHarness
{
    private static readonly SemaphoreSlim ConsoleGate = new(1, 1);

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        // AnsiConsole is process-wide: one CLI run at a time.
        await ConsoleGate.WaitAsync();
        var previous = AnsiConsole.Console;
        try
        {
            using var writer = new StringWriter();
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(writer),
            });
            AnsiConsole.Profile.Width = 200;
            var exitCode = await CliApp.RunAsync(args);
            return (exitCode, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            ConsoleGate.Release();
        }
    }
}
