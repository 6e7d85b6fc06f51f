using MassTransit;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// Endpoint settings shared by the consumers of worker reports: a few quick retries for what is transient
/// (the database briefly unreachable, repeated write conflicts), then the message goes to the error queue.
/// Reports are idempotent, so a retry never applies one twice.
/// </summary>
public abstract class WorkerReportConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected WorkerReportConsumerDefinition()
    {
        // Reports in flight wait for the next group commit of job changes (JobChangeQueue): more of them, fewer transactions.
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 2_000, 10_000));
    }
}

public sealed class TrainingJobStartedConsumerDefinition : WorkerReportConsumerDefinition<TrainingJobStartedConsumer>;

public sealed class TrainingJobProgressedConsumerDefinition : WorkerReportConsumerDefinition<TrainingJobProgressedConsumer>;

public sealed class TrainingJobCompletedConsumerDefinition : WorkerReportConsumerDefinition<TrainingJobCompletedConsumer>;

public sealed class TrainingJobFailedConsumerDefinition : WorkerReportConsumerDefinition<TrainingJobFailedConsumer>;

public sealed class TrainingJobReleasedConsumerDefinition : WorkerReportConsumerDefinition<TrainingJobReleasedConsumer>;

public sealed class WorkerHeartbeatConsumerDefinition : WorkerReportConsumerDefinition<WorkerHeartbeatConsumer>;

public sealed class CommitAttemptConsumerDefinition : WorkerReportConsumerDefinition<CommitAttemptConsumer>;
