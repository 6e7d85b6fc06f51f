using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;

namespace Platform.Worker.Lifecycle;

/// <summary>
/// Stops an attempt the scheduler has just cancelled or timed out, if it runs on this worker, without waiting for the
/// next heartbeat's answer. Every worker hears every stop (they are rare); the others ignore it.
/// </summary>
public sealed class AttemptToStopConsumer(AttemptRunner runner) : IConsumer<AttemptToStop>
{
    public Task Consume(ConsumeContext<AttemptToStop> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stop = context.Message;
        runner.Stop(stop.JobId, stop.Attempt, stop.Reason);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A queue per worker (named after <c>Worker:Name</c>, deleted by the broker when the worker goes), so that each worker
/// gets its own copy of every stop instead of competing for it.
/// </summary>
public sealed class AttemptToStopConsumerDefinition : ConsumerDefinition<AttemptToStopConsumer>
{
    public AttemptToStopConsumerDefinition(IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Endpoint(endpoint =>
        {
            endpoint.InstanceId = options.Value.Name;
            endpoint.Temporary = true;
        });
    }
}
