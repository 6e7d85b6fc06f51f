using Spectre.Console;

namespace Platform.Cli.Tests;

/// <summary>One run of platformctl with captured output, as a script or CI log would see it (no terminal).</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static async Task<CliRun> InvokeAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        var cli = new PlatformCli(new Terminal(console, error), name => environment?.GetValueOrDefault(name));
        var exitCode = await cli.InvokeAsync(args);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public static Task<CliRun> InvokeAsync(params string[] args) => InvokeAsync(null, args);
}
