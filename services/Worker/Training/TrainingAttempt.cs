using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts;
using Platform.Training;
using Platform.Training.ModelCards;
using Platform.Training.Onnx;
using Platform.Transfers;
using Platform.Worker.Lifecycle;
using Platform.Worker.ModelStore;

namespace Platform.Worker.Training;

/// <summary>
/// Trains one attempt of a job, once <see cref="AttemptRunner"/> has started it. Events, in order:
/// <see cref="TrainingJobProgressed"/> per stage (downloading, loading, training, evaluating, saving,
/// uploading), then exactly one of <see cref="TrainingJobCompleted"/> or <see cref="TrainingJobFailed"/>.
/// A failure is reported, not thrown, and the scheduler decides what happens next (<c>Permanent</c> failures,
/// bad data or a bad spec, can never succeed; others are retried). An attempt stopped through its token
/// (cancelled, timed out, superseded, shutting down) ends with <see cref="OperationCanceledException"/> and
/// reports nothing: the runner and the scheduler already know why. The model is registered only after the
/// scheduler has confirmed that the attempt is still current (<see cref="AttemptHandle.ConfirmCommitAsync"/>).
/// </summary>
public sealed class TrainingAttempt(
    DatasetDownloader downloader,
    ModelVersionRegistrar registrar,
    ModelCardStep modelCard,
    FoldRowsTransfer foldRows,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<TrainingAttempt> logger)
{
    public async Task TrainAsync(TrainModel job, IPublishEndpoint publisher, AttemptHandle attempt)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(attempt);
        var worker = options.Value.Name;
        var cancellationToken = attempt.CancellationToken;
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.JobId, ["Attempt"] = job.Attempt });

        var progress = new JobProgressReporter(publisher, job, time, logger, cancellationToken, attempt.Observe);
        var scratch = new DirectoryInfo(Path.Combine(options.Value.ScratchDirectory, $"{job.JobId:N}-{job.Attempt}-{Guid.NewGuid():N}"));
        Task<DataProfile>? profile = null;
        try
        {
            scratch.Create();
            var spec = job.ToTrainingSpec();

            var steps = new List<StepTiming>();
            progress.Report(JobStages.Downloading, 0, $"Downloading data set {job.DatasetId}");
            var data = await TimedAsync(steps, AttemptSteps.Download, () => downloader.DownloadAsync(job.TenantId, job.DatasetId, Path.Combine(scratch.FullName, "dataset"),
                fraction => progress.Report(JobStages.Downloading, fraction, "Downloading"), cancellationToken));

            if (job.Fold is { } fold)
            {
                await TrainFoldAsync(job, publisher, fold, data.File, spec, scratch, steps, progress, cancellationToken);
                return;
            }
            // The card's data profile is read from the store while the model trains, off the path after it.
            if (!job.EvaluateOnly) profile = modelCard.ReadProfileAsync(job, data, spec, cancellationToken);
            // A cross-validation whose folds ran as jobs of their own: their scored rows, then the fit on every row.
            var folds = job.FoldOutcomes.Count == 0 ? null : await TimedAsync(steps, AttemptSteps.FoldRows, () =>
                foldRows.FetchAsync(job, Path.Combine(scratch.FullName, "folds"), cancellationToken));
            var artifacts = Path.Combine(scratch.FullName, "artifacts");
            var result = await TimedAsync(steps, AttemptSteps.Train, () => folds is null
                ? TrainingRun.ExecuteAsync(data.File, spec, artifacts, progress, cancellationToken)
                : TrainingRun.ExecuteAsync(data.File, spec, folds, artifacts, progress, cancellationToken));
            if (job.EvaluateOnly)
            {
                // A sweep's trial only needs its metrics; the sweep's final job makes the card, the export and the version.
                await progress.DisposeAsync();
                logger.LogInformation("Job {JobId} attempt {Attempt} evaluated (sweep trial); steps: {Steps}; training run: {RunSteps}",
                    job.JobId, job.Attempt, StepTiming.Describe(steps), StepTiming.Describe(result.Timings.Steps));
                await PublishCompletedAsync(publisher, job, result, modelVersion: 0, worker);
                await foldRows.ReleaseAsync(job, CancellationToken.None);
                return;
            }
            // The card and the ONNX export both only read the run's artifacts: draw one while the other converts.
            var cardStep = TimedAsync(steps, AttemptSteps.ModelCard, () =>
                modelCard.WriteAsync(job, data, spec, result, profile!, Path.Combine(scratch.FullName, "card"), cancellationToken));
            // An extra artifact when the converter supports the pipeline; otherwise the version records why not.
            var onnxStep = Task.Run(() => Timed(steps, AttemptSteps.OnnxExport, () => OnnxExport.Export(result.Model.Path, Path.Combine(scratch.FullName, OnnxExport.FileName))), cancellationToken);
            await Task.WhenAll(cardStep, onnxStep);
            var (card, onnx) = (await cardStep, await onnxStep);

            // A cancelled, timed-out or superseded attempt must not register a model: ask first.
            await TimedAsync(steps, AttemptSteps.ConfirmCommit, async () => { await attempt.ConfirmCommitAsync(); return true; });
            progress.Report(JobStages.Uploading, 0, "Registering the model version");
            var version = await TimedAsync(steps, AttemptSteps.Register, () => registrar.RegisterAsync(job, data.Dataset.Sha256, result, onnx,
                fraction => progress.Report(JobStages.Uploading, fraction, "Uploading artifacts"), cancellationToken, card));
            await progress.DisposeAsync(); // progress events go out before the terminal one

            logger.LogInformation("Job {JobId} attempt {Attempt} registered {Model} version {Version}",
                job.JobId, job.Attempt, version.ModelName, version.Version);
            // Where the attempt's time went, for whoever tunes the worker: its own steps, then the training run's.
            logger.LogInformation("Job {JobId} attempt {Attempt} steps: {Steps}; training run: {RunSteps}",
                job.JobId, job.Attempt, StepTiming.Describe(steps), StepTiming.Describe(result.Timings.Steps));
            await PublishCompletedAsync(publisher, job, result, version.Version, worker, version.ModelName);
            await foldRows.ReleaseAsync(job, CancellationToken.None);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            await progress.DisposeAsync();
            var permanent = IsPermanent(exception);
            if (permanent)
                logger.LogWarning("Job {JobId} attempt {Attempt} failed for good: {Reason}", job.JobId, job.Attempt, exception.Message);
            else
                logger.LogError(exception, "Job {JobId} attempt {Attempt} failed", job.JobId, job.Attempt);
            await publisher.Publish(new TrainingJobFailed(job.JobId, job.Attempt, Reason(exception), permanent, worker, time.GetUtcNow()), CancellationToken.None);
        }
        finally
        {
            await progress.DisposeAsync();
            // A run that failed never waited for the profile: let its outcome be observed, whatever it is.
            _ = profile?.ContinueWith(read => read.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            DeleteScratch(scratch);
        }
    }

    /// <summary>
    /// One fold of a cross-validation whose folds run as jobs of their own: fits and scores it, stages its scored rows in the
    /// model store for the job that reports the folds, and reports what it measured (<see cref="TrainingJobCompleted.Fold"/>).
    /// </summary>
    private async Task TrainFoldAsync(
        TrainModel job, IPublishEndpoint publisher, int fold, Platform.Training.Data.DatasetFile data, TrainingSpec spec, DirectoryInfo scratch,
        List<StepTiming> steps, JobProgressReporter progress, CancellationToken cancellationToken)
    {
        var run = await TimedAsync(steps, AttemptSteps.Train, () =>
            TrainingRun.ExecuteFoldAsync(data, spec, fold, Path.Combine(scratch.FullName, "artifacts"), progress, cancellationToken));
        progress.Report(JobStages.Uploading, 0, "Staging the fold's scored rows");
        var staged = await TimedAsync(steps, AttemptSteps.FoldRows, () => foldRows.StageAsync(job.TenantId, run.ScoredRows, cancellationToken));
        await progress.DisposeAsync();
        logger.LogInformation("Job {JobId} attempt {Attempt} evaluated fold {Fold}; steps: {Steps}; training run: {RunSteps}",
            job.JobId, job.Attempt, fold, StepTiming.Describe(steps), StepTiming.Describe(run.Timings.Steps));
        await publisher.Publish(new TrainingJobCompleted
        {
            JobId = job.JobId,
            Attempt = job.Attempt,
            ModelName = job.ModelName,
            ModelVersion = 0,
            ModelSha256 = "",
            Metrics = run.Outcome.Metrics,
            Fold = run.Outcome with { JobId = job.JobId, ScoredRows = staged },
            TrainingSeconds = run.Timings.Training.TotalSeconds,
            Worker = options.Value.Name,
            At = time.GetUtcNow(),
        }, CancellationToken.None);
    }

    private Task PublishCompletedAsync(IPublishEndpoint publisher, TrainModel job, TrainingResult result, int modelVersion, string worker,
        string? modelName = null) =>
        publisher.Publish(new TrainingJobCompleted
        {
            JobId = job.JobId,
            Attempt = job.Attempt,
            ModelName = modelName ?? job.ModelName,
            ModelVersion = modelVersion,
            ModelSha256 = result.Model.Sha256,
            Metrics = result.Metrics,
            Evaluation = result.Evaluation.ToMessage(),
            TrainingSeconds = result.Timings.Training.TotalSeconds,
            Worker = worker,
            At = time.GetUtcNow(),
        }, CancellationToken.None);

    /// <summary>Runs one step of the attempt and records how long it took (steps may run concurrently).</summary>
    private static async Task<T> TimedAsync<T>(List<StepTiming> steps, string name, Func<Task<T>> step)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await step();
        lock (steps) steps.Add(new StepTiming(name, Stopwatch.GetElapsedTime(started)));
        return result;
    }

    private static T Timed<T>(List<StepTiming> steps, string name, Func<T> step)
    {
        var started = Stopwatch.GetTimestamp();
        var result = step();
        lock (steps) steps.Add(new StepTiming(name, Stopwatch.GetElapsedTime(started)));
        return result;
    }

    /// <summary>Failures that the same job would hit again on any worker.</summary>
    internal static bool IsPermanent(Exception exception) => exception switch
    {
        TrainingDataException or SpecValidationException or RegisteredModelMismatchException => true,
        // AlreadyExists: the job's id holds a version with another model; registering again would be refused again.
        RpcException { StatusCode: StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.AlreadyExists } => true,
        ByteStreamException { Title: nameof(StatusCode.NotFound) or nameof(StatusCode.InvalidArgument) } => true,
        _ => false,
    };

    private static string Reason(Exception exception) => exception switch
    {
        RpcException rpc => string.Create(CultureInfo.InvariantCulture, $"Model store answered {rpc.StatusCode}: {rpc.Status.Detail}"),
        ByteStreamException bytes => $"Model store answered {bytes.Title}: {bytes.Detail}",
        TrainingDataException or SpecValidationException or RegisteredModelMismatchException => exception.Message,
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
