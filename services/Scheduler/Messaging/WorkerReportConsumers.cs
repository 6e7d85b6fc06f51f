using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Scheduler.Jobs;

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

/// <summary>An attempt registered a model version: the job Succeeded with that result.</summary>
public sealed class TrainingJobCompletedConsumer(JobTracker tracker) : IConsumer<TrainingJobCompleted>
{
    public Task Consume(ConsumeContext<TrainingJobCompleted> context)
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
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobCompleted),
            job => job.Succeed(report.Attempt, result, report.Worker, report.At), context.CancellationToken);
    }
}

/// <summary>
/// An attempt failed: a permanent failure ends the job Failed with the worker's reason; a transient one queues
/// the next attempt after a backoff while attempts remain (<see cref="TrainingJob.Fail"/>).
/// </summary>
public sealed class TrainingJobFailedConsumer(JobTracker tracker, TimeProvider time, IOptions<SchedulerOptions> options) : IConsumer<TrainingJobFailed>
{
    public Task Consume(ConsumeContext<TrainingJobFailed> context)
    {
        var report = context.Message;
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobFailed),
            job => job.Fail(report.Attempt, report.Reason, report.Permanent, report.Worker, report.At, time.GetUtcNow(), options.Value.Retry),
            context.CancellationToken);
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
