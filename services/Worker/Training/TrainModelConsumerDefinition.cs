using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Worker.Lifecycle;

namespace Platform.Worker.Training;

/// <summary>
/// Endpoint settings for training: no more commands prefetched than <c>Worker:Concurrency</c>, so
/// idle workers get what this one cannot start. The consumer returns as soon as the attempt has started
/// in the background (see <see cref="AttemptRunner"/>). No retry policy: attempts report their failures
/// themselves, and the scheduler owns retries.
/// </summary>
public sealed class TrainModelConsumerDefinition : ConsumerDefinition<TrainModelConsumer>
{
    public TrainModelConsumerDefinition(IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var concurrency = options.Value.Concurrency;
        ConcurrentMessageLimit = concurrency;
        Endpoint(endpoint =>
        {
            endpoint.PrefetchCount = concurrency;
            endpoint.ConcurrentMessageLimit = concurrency;
        });
    }
}
