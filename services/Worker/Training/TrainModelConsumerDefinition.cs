using MassTransit;
using Microsoft.Extensions.Options;

namespace Platform.Worker.Training;

/// <summary>
/// Endpoint settings for training: as many jobs at once as <c>Worker:Concurrency</c> allows, and
/// no more prefetched than that, so idle workers get the jobs this one cannot start yet. No retry
/// policy: the consumer reports every failure itself, and the scheduler owns retries.
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
