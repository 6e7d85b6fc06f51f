using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;

namespace Platform.Worker.Lifecycle;

/// <summary>
/// Every <see cref="WorkerOptions.HeartbeatInterval"/>, and at once on start, tells the scheduler this worker's
/// capacity and running attempts (renewing their leases), and stops the attempts the answer names: cancelled,
/// timed out or superseded. No answer (the scheduler or the broker is down) is logged and the next beat retries;
/// the scheduler gives up an attempt only after a whole lease without a heartbeat.
/// </summary>
public sealed class WorkerHeartbeatService(
    IBus bus,
    AttemptRunner runner,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<WorkerHeartbeatService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.HeartbeatInterval;
        // The bus starts after this service: the first beat waits until the host runs.
        using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
            await Task.Delay(Timeout.Infinite, started.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await BeatAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Heartbeat not acknowledged; retrying in {Interval}", interval);
            }
            await Task.Delay(interval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Sends one heartbeat and applies the answer.</summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.HeartbeatInterval;
        var client = bus.CreateRequestClient<WorkerHeartbeat>(interval > TimeSpan.FromSeconds(1) ? interval : TimeSpan.FromSeconds(1));
        var response = await client.GetResponse<WorkerHeartbeatAcknowledged>(new WorkerHeartbeat
        {
            Worker = options.Value.Name,
            Capacity = runner.Capacity,
            Draining = runner.Draining,
            Attempts = [.. runner.Running.Select(h => new RunningAttempt(h.Job.JobId, h.Job.Attempt, h.Latest.Stage, h.Latest.Progress))],
            At = time.GetUtcNow(),
        }, cancellationToken);
        foreach (var stop in response.Message.Stop) runner.Stop(stop.JobId, stop.Attempt, stop.Reason);
    }
}
