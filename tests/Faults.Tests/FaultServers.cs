using System.Diagnostics;

namespace Platform.Faults.Tests;

/// <summary>
/// The fault suite's own PostgreSQL and RabbitMQ: a pair of <c>deploy/local/test-servers.sh</c> servers under
/// <c>&lt;repo&gt;/.test-servers/faults</c>, apart from the pair the other tests share, so that the suite may restart
/// them and change broker settings while the other test projects run (<c>make test</c> runs everything at once).
/// Started when not running (and then stopped at the end); a running pair is reused and left running.
/// </summary>
public sealed class FaultServers : IAsyncLifetime
{
    private bool _started;

    /// <summary>The folder of the dedicated pair (data, logs, ports).</summary>
    public static string Folder => Path.Combine(ServiceProcess.RepositoryRoot(), ".test-servers", "faults");

    /// <summary>Databases and virtual hosts on the dedicated servers.</summary>
    public PlatformServers Servers { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var (status, _) = await RunScriptAsync(TimeSpan.FromMinutes(3), throwOnError: false, "status");
        if (status != 0)
        {
            await RunScriptAsync(TimeSpan.FromMinutes(10), throwOnError: true, "start");
            _started = true;
        }
        var (_, env) = await RunScriptAsync(TimeSpan.FromMinutes(3), throwOnError: true, "env");
        // Lines of: export NAME='value'
        var variables = env.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("export ", StringComparison.Ordinal))
            .Select(line => line["export ".Length..].Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1].Trim('\''));
        Servers = PlatformServers.FromVariables(variables);
        await Servers.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        if (Servers is not null) await Servers.DisposeAsync();
        if (_started) await RunScriptAsync(TimeSpan.FromMinutes(2), throwOnError: false, "stop");
    }

    /// <summary>Stops the RabbitMQ node and starts it again on the same port (every connection drops).</summary>
    public Task RestartRabbitMqAsync() => RunScriptAsync(TimeSpan.FromMinutes(10), throwOnError: true, "restart-rabbitmq");

    /// <summary>Restarts PostgreSQL (fast shutdown: every session is cut) on the same port.</summary>
    public async Task RestartPostgresAsync()
    {
        await RunScriptAsync(TimeSpan.FromMinutes(5), throwOnError: true, "restart-postgres");
        // The test's own pooled connections died with the server (the services must cope on their own).
        Servers.ClearPostgresPools();
    }

    /// <summary>Runs <c>rabbitmqctl</c> against the dedicated node and returns its output.</summary>
    public async Task<string> RabbitMqCtlAsync(params string[] arguments) =>
        (await RunScriptAsync(TimeSpan.FromMinutes(3), throwOnError: true, ["rabbitmqctl", .. arguments])).Output;

    // Generous timeouts: each rabbitmqctl call starts an Erlang VM, which takes tens of seconds on a loaded machine.
    private static async Task<(int ExitCode, string Output)> RunScriptAsync(TimeSpan timeout, bool throwOnError, params string[] arguments)
    {
        var script = Path.Combine(ServiceProcess.RepositoryRoot(), "deploy", "local", "test-servers.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PLATFORM_TEST_SERVERS_DIR"] = Folder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"test-servers.sh {string.Join(' ', arguments)} did not finish within {timeout}: {await error}");
        }
        if (throwOnError && process.ExitCode != 0)
            throw new InvalidOperationException($"test-servers.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        return (process.ExitCode, await output);
    }
}
