using System.CommandLine;
using Platform.Cli.Commands;

namespace Platform.Cli;

/// <summary>The <c>platformctl</c> command tree.</summary>
public sealed class PlatformCli
{
    private readonly Terminal _terminal;

    /// <param name="terminal">Where output and errors go.</param>
    /// <param name="environment">Reads environment variables (PLATFORM_GATEWAY, PLATFORM_API_KEY, PLATFORM_TENANT, PLATFORM_CONFIG, HOME).</param>
    public PlatformCli(Terminal terminal, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        _terminal = terminal;
        var options = new GlobalOptions(environment);
        var runner = new CommandRunner(terminal, options);
        Root = new RootCommand(
            "platformctl: upload data sets, train models and fetch them from the ML training platform.\n" +
            $"Exit codes: {ExitCodes.Success} success, {ExitCodes.Error} error, {ExitCodes.JobUnsuccessful} a watched job did not succeed.")
        {
            options.Gateway,
            options.ApiKey,
            options.Tenant,
            options.Transfers,
            options.Serving,
            DatasetCommands.Create(runner),
            JobCommands.Create(runner),
            SweepCommands.Create(runner),
            TrainerCommands.Create(runner),
            ModelCommands.Create(runner),
            PredictCommand.Create(runner),
            KeyCommands.Create(runner),
            AuditCommands.Create(runner),
        };
    }

    public RootCommand Root { get; }

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    public Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default) =>
        Root.Parse(args).InvokeAsync(
            new InvocationConfiguration { Output = _terminal.Out.Profile.Out.Writer, Error = _terminal.Error },
            cancellationToken);
}
