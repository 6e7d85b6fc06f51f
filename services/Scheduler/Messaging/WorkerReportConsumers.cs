using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Scheduler.Jobs;
using Platform.Scheduler.Sweeps;

namespace Platform.Scheduler.Messaging;

/// <summary>A worker started an attempt: the job becomes Running.</summary>
public sealed class TrainingJobStartedConsumer(JobTracker tracker, TimeProvider time, IOptions<SchedulerOptions> options) : IConsumer<TrainingJobStarted>
{
    public Task Consume(ConsumeContext<TrainingJobStarted> context)
    {
        var report = context.Message;
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobStarted),
            job => job.Start(report.Attempt, report.Worker, report.At, time.GetUtcNow(), options.Value.LeaseDuration), context.CancellationToken);
    }
}

/// <summary>Progress of a running attempt; ignored for a job that has already ended.</summary>
public sealed class TrainingJobProgressedConsumer(JobTracker tracker) : IConsumer<TrainingJobProgressed>
{
    public Task Consume(ConsumeContext<TrainingJobProgressed> context)
    {
        var report = context.Message;
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobProgressed),
            job => job.ReportProgress(report.Attempt, report.Stage, report.Progress, report.Message, report.At), context.CancellationToken);
    }
}

/// <summary>
/// An attempt registered a model version (or evaluated a sweep's trial): the job Succeeded with that result. A sweep's job
/// wakes the sweep supervisor for its sweep, which stores the next trial at once.
/// </summary>
public sealed class TrainingJobCompletedConsumer(JobTracker tracker, SweepSignal sweeps) : IConsumer<TrainingJobCompleted>
{
    public async Task Consume(ConsumeContext<TrainingJobCompleted> context)
    {
        var report = context.Message;
        var result = new TrainingJobResult
        {
            ModelName = report.ModelName,
            ModelVersion = report.ModelVersion,
            Metrics = new Dictionary<string, double>(report.Metrics),
            ModelSha256 = report.ModelSha256,
            TrainingSeconds = report.TrainingSeconds,
            Evaluation = report.Evaluation,
            Fold = report.Fold,
        };
        Guid? sweep = null;
        if (await tracker.ApplyAsync(report.JobId, nameof(TrainingJobCompleted), job =>
            {
                sweep = job.SweepId;
                return job.Succeed(report.Attempt, result, report.Worker, report.At);
            }, context.CancellationToken) && sweep is { } sweepId)
            sweeps.Wake(sweepId);
    }
}

/// <summary>
/// An attempt failed: a permanent failure ends the job Failed with the worker's reason; a transient one queues
/// the next attempt after a backoff while attempts remain (<see cref="TrainingJob.Fail"/>). A sweep's job that ended wakes
/// the sweep supervisor for its sweep, as a success does.
/// </summary>
public sealed class TrainingJobFailedConsumer(JobTracker tracker, SweepSignal sweeps, TimeProvider time, IOptions<SchedulerOptions> options)
    : IConsumer<TrainingJobFailed>
{
    public async Task Consume(ConsumeContext<TrainingJobFailed> context)
    {
        var report = context.Message;
        Guid? endedInSweep = null;
        if (await tracker.ApplyAsync(report.JobId, nameof(TrainingJobFailed), job =>
            {
                var changed = job.Fail(report.Attempt, report.Reason, report.Permanent, report.Worker, report.At, time.GetUtcNow(), options.Value.Retry);
                endedInSweep = job.State.IsTerminal() ? job.SweepId : null;
                return changed;
            }, context.CancellationToken) && endedInSweep is { } sweepId)
            sweeps.Wake(sweepId);
    }
}

/// <summary>A worker shutting down handed its attempt back: the next attempt is queued at once.</summary>
public sealed class TrainingJobReleasedConsumer(JobTracker tracker, TimeProvider time) : IConsumer<TrainingJobReleased>
{
    public Task Consume(ConsumeContext<TrainingJobReleased> context)
    {
        var report = context.Message;
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobReleased),
            job => job.Release(report.Attempt, report.Worker, report.Reason, time.GetUtcNow()), context.CancellationToken);
    }
}
