using System.Globalization;
using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Training;
using Platform.Worker.ModelStore;

namespace Platform.Worker.Training;

/// <summary>
/// Trains one attempt of a job. Events, in order: <see cref="TrainingJobStarted"/>, then
/// <see cref="TrainingJobProgressed"/> per stage (downloading, loading, training, evaluating,
/// saving, uploading), then exactly one of <see cref="TrainingJobCompleted"/> or
/// <see cref="TrainingJobFailed"/>. The message is acknowledged either way: a failure is
/// reported, not thrown, and the scheduler decides what happens next (<c>Permanent</c> failures,
/// bad data or a bad spec, can never succeed). Only a worker shutting down mid-job leaves the
/// message unacknowledged, so another worker picks it up.
/// </summary>
public sealed class TrainModelConsumer(
    DatasetDownloader downloader,
    ModelVersionRegistrar registrar,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<TrainModelConsumer> logger) : IConsumer<TrainModel>
{
    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var job = context.Message;
        var worker = options.Value.Name;
        var cancellationToken = context.CancellationToken;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.JobId, ["Attempt"] = job.Attempt });

        await context.Publish(new TrainingJobStarted(job.JobId, job.Attempt, worker, time.GetUtcNow()), cancellationToken);
        var progress = new JobProgressReporter(context, job, time, logger, cancellationToken);
        var scratch = new DirectoryInfo(Path.Combine(options.Value.ScratchDirectory, $"{job.JobId:N}-{job.Attempt}-{Guid.NewGuid():N}"));
        try
        {
            scratch.Create();
            var spec = new TrainingSpec
            {
                Task = TrainingTasks.Parse(job.Task),
                LabelColumn = job.LabelColumn,
                Trainer = job.Trainer,
                Hyperparameters = job.Hyperparameters,
                Seed = job.Seed,
                HoldoutFraction = job.HoldoutFraction,
            };

            progress.Report(JobStages.Downloading, 0, $"Downloading data set {job.DatasetId}");
            var data = await downloader.DownloadAsync(job.TenantId, job.DatasetId, Path.Combine(scratch.FullName, "dataset.csv"),
                fraction => progress.Report(JobStages.Downloading, fraction, "Downloading"), cancellationToken);

            var result = await TrainingRun.ExecuteAsync(data.Csv, spec, Path.Combine(scratch.FullName, "artifacts"), progress, cancellationToken);

            progress.Report(JobStages.Uploading, 0, "Registering the model version");
            var version = await registrar.RegisterAsync(job, data.Dataset.Sha256, result,
                fraction => progress.Report(JobStages.Uploading, fraction, "Uploading artifacts"), cancellationToken);
            await progress.DisposeAsync(); // progress events go out before the terminal one

            logger.LogInformation("Job {JobId} attempt {Attempt} registered {Model} version {Version}",
                job.JobId, job.Attempt, version.ModelName, version.Version);
            await context.Publish(new TrainingJobCompleted
            {
                JobId = job.JobId,
                Attempt = job.Attempt,
                ModelName = version.ModelName,
                ModelVersion = version.Version,
                ModelSha256 = result.Model.Sha256,
                Metrics = result.Metrics,
                TrainingSeconds = result.Timings.Training.TotalSeconds,
                Worker = worker,
                At = time.GetUtcNow(),
            }, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            await progress.DisposeAsync();
            var permanent = IsPermanent(exception);
            if (permanent)
                logger.LogWarning("Job {JobId} attempt {Attempt} failed for good: {Reason}", job.JobId, job.Attempt, exception.Message);
            else
                logger.LogError(exception, "Job {JobId} attempt {Attempt} failed", job.JobId, job.Attempt);
            await context.Publish(new TrainingJobFailed(job.JobId, job.Attempt, Reason(exception), permanent, worker, time.GetUtcNow()), cancellationToken);
        }
        finally
        {
            await progress.DisposeAsync();
            DeleteScratch(scratch);
        }
    }

    /// <summary>Failures that the same job would hit again on any worker.</summary>
    internal static bool IsPermanent(Exception exception) => exception switch
    {
        TrainingDataException or SpecValidationException => true,
        RpcException { StatusCode: StatusCode.NotFound or StatusCode.InvalidArgument } => true,
        _ => false,
    };

    private static string Reason(Exception exception) => exception switch
    {
        RpcException rpc => string.Create(CultureInfo.InvariantCulture, $"Model store answered {rpc.StatusCode}: {rpc.Status.Detail}"),
        TrainingDataException or SpecValidationException => exception.Message,
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    private void DeleteScratch(DirectoryInfo scratch)
    {
        try
        {
            if (scratch.Exists) scratch.Delete(recursive: true);
        }
        catch (IOException exception)
        {
            logger.LogWarning(exception, "Could not delete scratch folder {Folder}", scratch.FullName);
        }
        catch (UnauthorizedAccessException exception)
        {
            logger.LogWarning(exception, "Could not delete scratch folder {Folder}", scratch.FullName);
        }
    }
}
