using MassTransit;
using Platform.Contracts;
using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Messaging;

/// <summary>A worker started an attempt: the job becomes Running.</summary>
public sealed class TrainingJobStartedConsumer(JobTracker tracker) : IConsumer<TrainingJobStarted>
{
    public Task Consume(ConsumeContext<TrainingJobStarted> context)
    {
        var report = context.Message;
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobStarted),
            job => job.Start(report.Attempt, report.Worker, report.At), context.CancellationToken);
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
        };
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobCompleted),
            job => job.Succeed(report.Attempt, result, report.Worker, report.At), context.CancellationToken);
    }
}

/// <summary>
/// An attempt failed: the job ends Failed with the worker's reason. Retrying transient failures is a later
/// issue; it belongs in <see cref="TrainingJob.Fail"/>, which then queues the next attempt instead.
/// </summary>
public sealed class TrainingJobFailedConsumer(JobTracker tracker) : IConsumer<TrainingJobFailed>
{
    public Task Consume(ConsumeContext<TrainingJobFailed> context)
    {
        var report = context.Message;
        return tracker.ApplyAsync(report.JobId, nameof(TrainingJobFailed),
            job => job.Fail(report.Attempt, report.Reason, report.Permanent, report.Worker, report.At), context.CancellationToken);
    }
}
