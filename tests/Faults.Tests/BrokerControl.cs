using System.Diagnostics;

namespace Platform.Faults.Tests;

/// <summary>
/// Changes settings of the local test broker through <c>deploy/local/test-servers.sh rabbitmqctl</c>. Needs the
/// local servers (the script's node, named by <c>PLATFORM_TEST_RABBITMQ_NODE</c>); a broker in a container cannot
/// be reconfigured this way, and the test says so instead of passing without testing anything.
/// </summary>
internal static class BrokerControl
{
    /// <summary>
    /// Sets RabbitMQ's <c>consumer_timeout</c> for channels opened from now on, and puts the previous value back
    /// when disposed. The broker checks it about once a minute, so a delivery is requeued somewhat after it.
    /// </summary>
    public static async Task<IAsyncDisposable> LowerConsumerTimeoutAsync(TimeSpan timeout)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PLATFORM_TEST_RABBITMQ_NODE")))
            throw new InvalidOperationException(
                "This test lowers the broker's consumer_timeout and needs the local test broker: run it through `make test-faults` " +
                "(or `eval \"$(bash deploy/local/test-servers.sh env)\"` first).");
        var previous = (await EvalAsync("application:get_env(rabbit, consumer_timeout).")).Trim();
        await EvalAsync($"application:set_env(rabbit, consumer_timeout, {(long)timeout.TotalMilliseconds}).");
        return new Restore(previous);
    }

    private static async Task<string> EvalAsync(string expression)
    {
        var script = Path.Combine(ServiceProcess.RepositoryRoot(), "deploy", "local", "test-servers.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, "rabbitmqctl", "eval", expression }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl eval {expression} failed ({process.ExitCode}): {await error}");
        return await output;
    }

    private sealed class Restore(string previous) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // "{ok,1800000}" or "undefined" (the built-in default).
            var value = previous.StartsWith("{ok,", StringComparison.Ordinal) ? previous[4..^1] : null;
            await EvalAsync(value is null ? "application:unset_env(rabbit, consumer_timeout)." : $"application:set_env(rabbit, consumer_timeout, {value}).");
        }
    }
}
