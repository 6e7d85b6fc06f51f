using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Training;
using Platform.Training.Catalogue;
using Platform.Worker.Lifecycle;

namespace Platform.Worker.Training;

/// <summary>
/// An attempt of a <see cref="BenchmarkTrainers"/> trainer, in place of a <see cref="TrainingAttempt"/>: no download, no
/// ML.NET, no artifacts. It waits the trial's <c>wait_ms</c> (a timer: no core is used meanwhile; stopped at once by
/// a cancellation) and reports <see cref="TrainingJobCompleted"/> with <see cref="BenchmarkTrainers.Metrics"/>, so a
/// sweep of them measures the platform's orchestration alone. Refused for good, naming the trainer, on a worker without
/// <see cref="WorkerOptions.BenchmarkTrainers"/>, and for a job that would register a model (they train none).
/// </summary>
public sealed class BenchmarkTrial(IOptions<WorkerOptions> options, TimeProvider time, ILogger<BenchmarkTrial> logger)
{
    public async Task RunAsync(TrainModel job, IPublishEndpoint publisher, AttemptHandle attempt)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(attempt);
        var worker = options.Value.Name;
        string? refusal = null;
        var trial = (Wait: TimeSpan.Zero, X: 0.0);
        if (!options.Value.BenchmarkTrainers)
            refusal = $"trainer: {Echo.Quote(job.Trainer)} is a benchmark trainer (it does no ML work); this worker runs it only with " +
                      "Worker:BenchmarkTrainers=true, never in production";
        else if (!job.EvaluateOnly)
            refusal = $"trainer: {Echo.Quote(job.Trainer)} is a benchmark trainer and trains no model: it runs sweep trials only, so nothing can be registered";
        else
        {
            try
            {
                trial = BenchmarkTrainers.Trial(job.Hyperparameters);
            }
            catch (SpecValidationException ex)
            {
                refusal = ex.Message;
            }
        }
        if (refusal is not null)
        {
            logger.LogWarning("Job {JobId} attempt {Attempt} refused: {Reason}", job.JobId, job.Attempt, refusal);
            await publisher.Publish(new TrainingJobFailed(job.JobId, job.Attempt, refusal, Permanent: true, worker, time.GetUtcNow()), CancellationToken.None);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        if (trial.Wait > TimeSpan.Zero) await Task.Delay(trial.Wait, time, attempt.CancellationToken);
        await publisher.Publish(new TrainingJobCompleted
        {
            JobId = job.JobId,
            Attempt = job.Attempt,
            ModelName = job.ModelName,
            ModelVersion = 0,
            ModelSha256 = "",
            Metrics = BenchmarkTrainers.Metrics(trial.X),
            TrainingSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
            Worker = worker,
            At = time.GetUtcNow(),
        }, CancellationToken.None);
    }
}
