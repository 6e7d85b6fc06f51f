using Spectre.Console;

namespace Platform.Cli;

/// <summary>Where the CLI writes: results to <see cref="Out"/>, errors and failure reasons to <see cref="Error"/>.</summary>
public sealed record Terminal(IAnsiConsole Out, TextWriter Error)
{
    /// <summary>
    /// The process's own console. Live displays need a terminal: when standard output is redirected (a CI log,
    /// a pipe) or <c>CI</c> is set, the console is made non-interactive without ANSI codes, so progress
    /// degrades to plain lines instead of redrawn bars.
    /// </summary>
    public static Terminal ForProcess(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var plain = Console.IsOutputRedirected || !string.IsNullOrEmpty(environment("CI"));
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            Interactive = plain ? InteractionSupport.No : InteractionSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        // Without a terminal there is no window to fit; wide enough that tables in logs do not wrap.
        if (plain) console.Profile.Width = Math.Max(console.Profile.Width, 160);
        return new Terminal(console, Console.Error);
    }

    /// <summary>True when progress can be drawn live (redrawn in place) rather than written as lines.</summary>
    public bool IsLive => Out.Profile.Capabilities.Interactive && Out.Profile.Capabilities.Ansi;
}
