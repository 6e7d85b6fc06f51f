using System.Text.RegularExpressions;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Datasets.V1;
using Platform.Scheduler.Data;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;
using Platform.Training;
using Platform.Training.Catalogue;
using Platform.Training.Data;

namespace Platform.Scheduler.Jobs;

/// <summary>
/// The one way a job comes into being, shared by <c>JobService.SubmitJob</c> and the message-queue consumer:
/// validate everything (throwing <see cref="InvalidArgumentException"/> naming the proto field, or
/// <see cref="NotFoundException"/> for an unknown data set) before anything is stored, store the job and
/// its first event in one commit (a group commit shared with concurrent submissions), and only then hand it to the workers.
/// </summary>
public sealed partial class JobSubmission(
    SchedulerDbContext db,
    JobSubmissionQueue newJobs,
    DatasetService.DatasetServiceClient datasets,
    DatasetLookupCache foundDatasets,
    DispatchSignal dispatch,
    TimeProvider time,
    IOptions<SchedulerOptions> options,
    ILogger<JobSubmission> logger)
{
    /// <summary>Longest accepted <c>request_id</c>.</summary>
    public const int MaxRequestIdLength = 128;
    /// <summary>Longest accepted <c>spec.model_name</c>.</summary>
    public const int MaxModelNameLength = 100;
    /// <summary>Longest accepted <c>spec.queue</c>.</summary>
    public const int MaxQueueNameLength = 63;
    /// <summary>Holdout share when the submission does not give one.</summary>
    public const double DefaultHoldoutFraction = 0.2;

    /// <summary>How long the model store may take to describe a data set before the submission fails (and, from the queue, is retried).</summary>
    private static readonly TimeSpan DatasetLookupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Validates and stores the job, then wakes the dispatch pass (which starts it when a limit and a worker allow). A request id already used in the tenant returns
    /// that job unchanged (also when two submissions race: the unique index decides).
    /// </summary>
    public async Task<TrainingJob> SubmitAsync(JobSubmissionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requestId = ValidateRequestId(request.RequestId);
        if (requestId is not null && await FindByRequestIdAsync(request.TenantId, requestId, cancellationToken) is { } existing)
            return existing;

        var (spec, dataset, settings) = await ValidateAsync(request, cancellationToken);
        var now = Now();
        var job = TrainingJob.Submit(Guid.CreateVersion7(now), request.TenantId, requestId, spec, request.Source, now,
            string.IsNullOrEmpty(dataset.Sha256) ? null : dataset.Sha256, EstimateRunSeconds(settings, spec, dataset));
        return await StoreAsync(job, cancellationToken);
    }

    /// <summary>
    /// A new job with exactly the stored spec of <see cref="JobRerunRequest.JobId"/> (only priority and queue,
    /// which do not touch the result, may change), after checking that the data set still holds the content
    /// that job trained on and that the trainer catalogue still accepts its hyperparameters unchanged. A request
    /// id already used in the tenant returns that job unchanged, as for a submission.
    /// </summary>
    public async Task<TrainingJob> RerunAsync(JobRerunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requestId = ValidateRequestId(request.RequestId);
        if (requestId is not null && await FindByRequestIdAsync(request.TenantId, requestId, cancellationToken) is { } existing)
            return existing;

        // Another tenant's job is indistinguishable from one that does not exist.
        var original = await db.TrainingJobs.AsNoTracking()
            .SingleOrDefaultAsync(j => j.Id == request.JobId && j.TenantId == request.TenantId, cancellationToken)
            ?? throw new NotFoundException("job", request.JobId.ToString());
        var spec = original.Spec;
        if (request.Priority is { } priority) spec = spec with { Priority = priority };
        if (request.Queue is { } queue) spec = spec with { Queue = ValidateQueue(queue, "queue") };
        // The run-time limit does not change the model: the limits of today apply, as to a new submission.
        var (defaultLimit, maximum) = options.Value.MaxRunSeconds.For(request.TenantId, spec.Queue);
        if (maximum > 0 && spec.MaxRunSeconds > maximum)
            throw new FailedPreconditionException(
                $"job {original.Id} ran with max_run_seconds {spec.MaxRunSeconds}, above the maximum of {maximum} s that now applies to tenant " +
                $"{request.TenantId} in queue {spec.Queue}; re-run it in another queue, or submit its spec with a lower limit");
        if (spec.MaxRunSeconds == 0) spec = spec with { MaxRunSeconds = defaultLimit };

        var settings = EnsureCatalogueStillAccepts(original);
        // Asked afresh, never remembered: a re-run must see the data set as the store has it now.
        var dataset = await GetDatasetAsync(request.TenantId, spec.DatasetId, mayRemember: false, cancellationToken);
        if (original.DatasetSha256 is { } trainedOn && !string.Equals(trainedOn, dataset.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new FailedPreconditionException(
                $"data set {spec.DatasetId} ('{dataset.Name}') now has SHA-256 {dataset.Sha256}, but job {original.Id} trained on {trainedOn}; " +
                "a re-run would not train on the same data");

        var now = Now();
        var job = TrainingJob.Rerun(Guid.CreateVersion7(now), original, requestId, spec, request.Source, now, dataset.Sha256,
            EstimateRunSeconds(settings, spec, dataset));
        return await StoreAsync(job, cancellationToken);
    }

    /// <summary>
    /// A re-run must train exactly what the earlier job trained: if this version's catalogue no longer knows the
    /// trainer, rejects a stored value, or would resolve the hyperparameters differently (a new parameter with
    /// its default), the re-run would silently be another model.
    /// </summary>
    private static TrainerSettings EnsureCatalogueStillAccepts(TrainingJob original)
    {
        var spec = original.Spec;
        TrainerSettings settings;
        try
        {
            settings = TrainerCatalogue.Validate(TrainingTasks.Parse(spec.Task), spec.Trainer, spec.Hyperparameters);
        }
        catch (SpecValidationException ex)
        {
            throw new FailedPreconditionException($"job {original.Id} cannot be re-run as it was: spec.{ex.Field}: {ex.Reason}");
        }
        var resolved = settings.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var stored = spec.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        if (!resolved.SequenceEqual(stored))
            throw new FailedPreconditionException(
                $"job {original.Id} cannot be re-run as it was: trainer '{spec.Trainer}' now resolves its hyperparameters to " +
                $"{Describe(resolved)} instead of the recorded {Describe(stored)}");
        return settings;

        static string Describe(IEnumerable<KeyValuePair<string, string>> parameters) =>
            "{" + string.Join(", ", parameters.Select(p => $"{p.Key}={p.Value}")) + "}";
    }

    /// <summary>
    /// Stores the job and its first event with the next group commit of new jobs (<see cref="JobSubmissionQueue"/>), then
    /// wakes the dispatch pass. A request id that meanwhile names a stored job (a race) answers with that job.
    /// </summary>
    private async Task<TrainingJob> StoreAsync(TrainingJob job, CancellationToken cancellationToken)
    {
        // Not cancelled with the caller: the job may already be in the committing group; a retry with its request id finds it.
        var stored = await newJobs.StoreAsync(job).WaitAsync(cancellationToken);
        if (!stored.Created) return stored.Job;

        logger.LogInformation("Job {JobId} queued for tenant {TenantId} from {Source}: {Trainer} on data set {DatasetId}{Rerun}",
            job.Id, job.TenantId, job.Source, job.Spec.Trainer, job.Spec.DatasetId, job.RerunOf is { } of ? $", re-running {of}" : "");
        dispatch.JobQueued();
        return job;
    }

    /// <summary>PostgreSQL keeps microseconds: drop the rest now, so this answer equals every later read of the job.</summary>
    private DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    private Task<TrainingJob?> FindByRequestIdAsync(string tenantId, string requestId, CancellationToken cancellationToken) =>
        db.TrainingJobs.AsNoTracking().SingleOrDefaultAsync(j => j.TenantId == tenantId && j.RequestId == requestId, cancellationToken);

    internal async Task<(TrainingJobSpec Spec, Dataset Dataset, TrainerSettings Settings)> ValidateAsync(JobSubmissionRequest request, CancellationToken cancellationToken)
    {
        // Cheap checks first, so a malformed request never costs a call to the model store.
        var task = ValidateTask(request.Task);
        var trainer = Required(request.Trainer, "spec.trainer");
        var settings = ValidateTrainer(task, trainer, request.Hyperparameters);
        var holdout = ValidateHoldout(request.HoldoutFraction);
        var queue = string.IsNullOrEmpty(request.Queue) ? TrainingJobSpec.DefaultQueue : ValidateQueue(request.Queue, "spec.queue");
        var maxRunSeconds = ValidateMaxRunSeconds(request.MaxRunSeconds, request.TenantId, queue);
        var modelName = string.IsNullOrWhiteSpace(request.ModelName) ? null : ValidateModelName(request.ModelName);
        var datasetId = ValidateDatasetId(request.DatasetId);
        // Clustering learns without a label; given one, it measures how well the clusters match it.
        var labelColumn = task.RequiresLabel() ? Required(request.LabelColumn, "spec.label_column") : request.LabelColumn?.Trim() ?? "";
        var preparation = TranslateSpecErrors(() => request.Preparation.ToDataPreparation());
        var evaluation = request.Evaluation.ToEvaluationSpec();
        if (evaluation.CrossValidates && request.HoldoutFraction != 0)
            throw new InvalidArgumentException("spec.holdout_fraction",
                $"is set, but spec.evaluation.folds = {evaluation.Folds} asks for cross-validation, which evaluates every row; leave one of them unset");

        var dataset = await GetDatasetAsync(request.TenantId, datasetId, mayRemember: true, cancellationToken);
        if (labelColumn.Length > 0) ValidateLabelColumn(dataset, labelColumn, task);
        // Everything that depends on the data set's columns (label kind, preparation, evaluation), exactly as the worker will check it.
        TranslateSpecErrors(() => new TrainingSpec
        {
            Task = task,
            LabelColumn = labelColumn,
            Trainer = settings.Trainer.Name,
            Hyperparameters = settings.Hyperparameters,
            Seed = request.Seed,
            HoldoutFraction = holdout,
            Preparation = preparation,
            Evaluation = evaluation,
        }.Validate(ColumnsOf(dataset)));

        return (new TrainingJobSpec
        {
            DatasetId = datasetId,
            Task = task.ToWireName(),
            LabelColumn = labelColumn,
            Trainer = settings.Trainer.Name,
            // Resolved: defaults included and values canonical, so the job records exactly what was trained.
            Hyperparameters = new Dictionary<string, string>(settings.Hyperparameters),
            Seed = request.Seed,
            ModelName = modelName ?? DefaultModelName(dataset.Name),
            HoldoutFraction = holdout,
            Priority = request.Priority,
            Queue = queue,
            MaxRunSeconds = maxRunSeconds,
            Preparation = request.Preparation,
            Evaluation = request.Evaluation,
        }, dataset, settings);
    }

    /// <summary>
    /// The estimated run time of one attempt (<see cref="TrainingCost"/>), from the data set's rows and the feature columns
    /// the preparation keeps, by type, and the resolved hyperparameters; shown by GetJob and the pending reason.
    /// </summary>
    private static double EstimateRunSeconds(TrainerSettings settings, TrainingJobSpec spec, Dataset dataset)
    {
        var include = spec.Preparation?.IncludeColumns ?? [];
        var exclude = spec.Preparation?.ExcludeColumns ?? [];
        var features = dataset.Columns
            .Where(c => c.Name != spec.LabelColumn && (include.Count == 0 || include.Contains(c.Name)) && !exclude.Contains(c.Name))
            .ToList();
        var shape = new DataShape(dataset.RowCount,
            features.Count(c => c.Type is ColumnType.Numeric or ColumnType.Boolean),
            features.Count(c => c.Type is ColumnType.Categorical or ColumnType.Date),
            features.Count(c => c.Type == ColumnType.Text));
        return Math.Round(TrainingCost.Estimate(settings, shape, spec.Evaluation.ToEvaluationSpec(), spec.HoldoutFraction).Seconds, 1);
    }

    /// <summary>The data set's columns as training reads them (the worker maps the store's types the same way).</summary>
    private static DatasetColumn[] ColumnsOf(Dataset dataset) =>
        [.. dataset.Columns.Select(c => new DatasetColumn(c.Name, c.Type switch
        {
            ColumnType.Numeric => ColumnKind.Numeric,
            ColumnType.Boolean => ColumnKind.Boolean,
            ColumnType.Text => ColumnKind.Text,
            ColumnType.Date => ColumnKind.Date,
            _ => ColumnKind.Categorical,
        }, c.Sensitive))];

    /// <summary>
    /// The data set from the model store; for a submission (<paramref name="mayRemember"/>) possibly as found a few seconds
    /// ago (<see cref="DatasetLookupCache"/>).
    /// </summary>
    private async Task<Dataset> GetDatasetAsync(string tenantId, Guid datasetId, bool mayRemember, CancellationToken cancellationToken)
    {
        try
        {
            return mayRemember
                ? await foundDatasets.FindOrLookUpAsync(tenantId, datasetId, () => LookUpAsync(tenantId, datasetId, CancellationToken.None), cancellationToken)
                : await LookUpAsync(tenantId, datasetId, cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            throw new NotFoundException("data set", datasetId.ToString());
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            throw new InvalidArgumentException("spec.dataset_id", ex.Status.Detail);
        }
    }

    /// <summary>Asks the model store, within <see cref="DatasetLookupTimeout"/>.</summary>
    private async Task<Dataset> LookUpAsync(string tenantId, Guid datasetId, CancellationToken cancellationToken) =>
        // A gRPC deadline is a wall-clock instant on the wire, not domain time: the system clock is right here.
        await datasets.GetDatasetAsync(
            new GetDatasetRequest { DatasetId = datasetId.ToString() }, Tenant.Headers(tenantId),
            deadline: DateTime.UtcNow + DatasetLookupTimeout, cancellationToken: cancellationToken);

    internal static string? ValidateRequestId(string? requestId)
    {
        if (string.IsNullOrEmpty(requestId)) return null;
        if (requestId.Length > MaxRequestIdLength || requestId.Any(char.IsControl) || string.IsNullOrWhiteSpace(requestId))
            throw new InvalidArgumentException("request_id",
                $"must be 1-{MaxRequestIdLength} printable characters");
        return requestId;
    }

    private static TrainingTask ValidateTask(string? task)
    {
        if (string.IsNullOrWhiteSpace(task))
            throw new InvalidArgumentException("spec.task",
                $"is required: one of {string.Join(", ", TrainingTasks.All.Select(t => t.ToWireName()))}");
        return TranslateSpecErrors(() => TrainingTasks.Parse(task));
    }

    private static TrainerSettings ValidateTrainer(TrainingTask task, string trainer, IReadOnlyDictionary<string, string>? hyperparameters) =>
        TranslateSpecErrors(() => TrainerCatalogue.Validate(task, trainer, hyperparameters));

    /// <summary>The catalogue names fields relative to the spec ("trainer", "hyperparameters.x"); the API names them from the request.</summary>
    private static T TranslateSpecErrors<T>(Func<T> validate)
    {
        try
        {
            return validate();
        }
        catch (SpecValidationException ex)
        {
            throw new InvalidArgumentException($"spec.{ex.Field}", ex.Reason);
        }
    }

    /// <summary>
    /// The attempt's run-time limit: as asked, within the maximum that applies to the tenant and the queue; when not
    /// asked, their default (<see cref="RunTimeLimits"/>; 0 when there is none).
    /// </summary>
    private int ValidateMaxRunSeconds(int requested, string tenantId, string queue)
    {
        var (defaultLimit, maximum) = options.Value.MaxRunSeconds.For(tenantId, queue);
        if (requested < 0)
            throw new InvalidArgumentException("spec.max_run_seconds", $"{requested} is negative; 0 takes the default ({Describe(defaultLimit)})");
        if (maximum > 0 && requested > maximum)
            throw new InvalidArgumentException("spec.max_run_seconds",
                $"{requested} is above the maximum of {maximum} s for tenant {tenantId} in queue {queue}; 0 takes the default ({Describe(defaultLimit)})");
        return requested > 0 ? requested : defaultLimit;

        static string Describe(int seconds) => seconds > 0 ? $"{seconds} s" : "no limit";
    }

    private static double ValidateHoldout(double fraction)
    {
        if (fraction == 0) return DefaultHoldoutFraction;
        if (!(fraction > 0 && fraction <= 0.5))
            throw new InvalidArgumentException("spec.holdout_fraction", $"{fraction} is outside (0, 0.5]");
        return fraction;
    }

    private static string ValidateQueue(string queue, string field)
    {
        if (!QueueNamePattern().IsMatch(queue))
            throw new InvalidArgumentException(field,
                $"'{queue}' is not a valid queue name (1-{MaxQueueNameLength} characters of a-z, 0-9 and '-', starting with a letter or digit)");
        return queue;
    }

    private static string ValidateModelName(string name)
    {
        // The model store's rule (ModelNames), checked here too so a job never trains a model it cannot register.
        if (!ModelNamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal))
            throw new InvalidArgumentException("spec.model_name",
                $"'{name}' is not a valid model name (1-{MaxModelNameLength} letters, digits, '-', '_' or '.', starting with a letter or digit, without '..')");
        return name;
    }

    private static Guid ValidateDatasetId(string? datasetId)
    {
        if (string.IsNullOrWhiteSpace(datasetId))
            throw new InvalidArgumentException("spec.dataset_id", "is required");
        return Guid.TryParse(datasetId, out var id)
            ? id
            : throw new InvalidArgumentException("spec.dataset_id", $"'{datasetId}' is not a data set id");
    }

    private static void ValidateLabelColumn(Dataset dataset, string labelColumn, TrainingTask task)
    {
        var column = dataset.Columns.FirstOrDefault(c => c.Name == labelColumn);
        if (column is null)
        {
            var nearly = dataset.Columns.FirstOrDefault(c => string.Equals(c.Name, labelColumn, StringComparison.OrdinalIgnoreCase));
            var hint = nearly is null ? "" : $" (did you mean '{nearly.Name}'?)";
            throw new InvalidArgumentException("spec.label_column",
                $"column '{labelColumn}' is not in data set '{dataset.Name}'{hint}; its columns are: {string.Join(", ", dataset.Columns.Select(c => c.Name))}");
        }
        if (task == TrainingTask.Regression && column.Type == ColumnType.Categorical)
            throw new InvalidArgumentException("spec.label_column",
                $"column '{labelColumn}' is categorical; regression needs a numeric label");
    }

    private static string Required(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidArgumentException(field, "is required") : value.Trim();

    /// <summary>The data set's name without its extension, reduced to the characters a model name may hold.</summary>
    internal static string DefaultModelName(string datasetName)
    {
        var stem = Path.GetFileNameWithoutExtension(datasetName);
        var cleaned = RepeatedDots().Replace(DisallowedInModelName().Replace(stem, "-"), ".").Trim('-', '_', '.');
        if (cleaned.Length > MaxModelNameLength) cleaned = cleaned[..MaxModelNameLength].TrimEnd('-', '_', '.');
        return cleaned.Length == 0 ? "model" : cleaned;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex ModelNamePattern();

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex DisallowedInModelName();

    [GeneratedRegex(@"\.{2,}")]
    private static partial Regex RepeatedDots();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex QueueNamePattern();
}
