namespace Platform.Faults.Tests;

/// <summary>Changes settings of the suite's dedicated broker (<see cref="FaultServers"/>) at run time.</summary>
internal static class BrokerControl
{
    /// <summary>
    /// Sets RabbitMQ's <c>consumer_timeout</c> for channels opened from now on, and puts the previous value back
    /// when disposed. The broker checks it about once a minute, so a delivery is requeued somewhat after it.
    /// </summary>
    public static async Task<IAsyncDisposable> LowerConsumerTimeoutAsync(FaultServers servers, TimeSpan timeout)
    {
        var previous = (await EvalAsync(servers, "application:get_env(rabbit, consumer_timeout).")).Trim();
        await EvalAsync(servers, $"application:set_env(rabbit, consumer_timeout, {(long)timeout.TotalMilliseconds}).");
        return new Restore(servers, previous);
    }

    private static Task<string> EvalAsync(FaultServers servers, string expression) => servers.RabbitMqCtlAsync("eval", expression);

    private sealed class Restore(FaultServers servers, string previous) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // "{ok,1800000}" or "undefined" (the built-in default).
            var value = previous.StartsWith("{ok,", StringComparison.Ordinal) ? previous[4..^1] : null;
            await EvalAsync(servers, value is null ? "application:unset_env(rabbit, consumer_timeout)." : $"application:set_env(rabbit, consumer_timeout, {value}).");
        }
    }
}
