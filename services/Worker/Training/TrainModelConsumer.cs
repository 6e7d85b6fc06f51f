using MassTransit;
using Platform.Contracts;
using Platform.Worker.Lifecycle;

namespace Platform.Worker.Training;

/// <summary>
/// Takes a <see cref="TrainModel"/> command off the <c>train-model</c> queue and hands it to
/// <see cref="AttemptRunner"/>, which trains it in the background (<see cref="TrainingAttempt"/>); the delivery is
/// acknowledged as soon as the attempt has started (docs/scheduling.md: a delivery is never held for a
/// training's duration). A duplicate of an attempt running here is dropped. A worker with no free slot, or
/// shutting down, hands the command back to the queue after a short pause, for a worker that has room; the
/// scheduler dispatches only as many attempts as workers announced slots, so this is rare.
/// </summary>
public sealed class TrainModelConsumer(AttemptRunner runner, TimeProvider time, ILogger<TrainModelConsumer> logger) : IConsumer<TrainModel>
{
    /// <summary>Pause before handing a command back, so a full worker does not spin on it.</summary>
    public static readonly TimeSpan HandBackDelay = TimeSpan.FromMilliseconds(500);

    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.Message;
        var outcome = runner.TryStart(job);
        switch (outcome)
        {
            case AttemptRunner.StartOutcome.Started:
                logger.LogInformation("Job {JobId} attempt {Attempt} started", job.JobId, job.Attempt);
                return;
            case AttemptRunner.StartOutcome.AlreadyRunning:
                logger.LogInformation("Job {JobId} attempt {Attempt} runs or ran here already; duplicate dropped", job.JobId, job.Attempt);
                return;
            default:
                logger.LogInformation("Job {JobId} attempt {Attempt} handed back ({Outcome})", job.JobId, job.Attempt, outcome);
                await Task.Delay(HandBackDelay, time, context.CancellationToken);
                await context.Publish(job, context.CancellationToken);
                return;
        }
    }
}
