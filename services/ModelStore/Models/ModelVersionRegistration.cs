using System.Text.RegularExpressions;
using Platform.ModelStore.Data;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;
using ModelVersionSource = Platform.ModelStore.Data.ModelVersionSource;
using Platform.Contracts;

namespace Platform.ModelStore.Models;

/// <summary>
/// The first message of a registration or an upload (everything but the artifacts), checked. Field names in errors
/// are those of the request: <c>version.model_name</c>, <c>version.job_id</c>, ….
/// </summary>
public sealed record ModelVersionRegistration
{
    /// <summary>Longest training job id.</summary>
    public const int MaxJobIdLength = 200;

    /// <summary>Longest short lineage text (platform version, git commit, worker, metric and step names).</summary>
    public const int MaxShortTextLength = 200;

    /// <summary>Longest description or approval comment.</summary>
    public const int MaxDescriptionLength = 4000;

    /// <summary>Most preparation steps, and most columns in a schema or a step.</summary>
    public const int MaxSteps = 200;
    public const int MaxColumns = 10_000;

    /// <summary>The tasks a version can be trained for, as the proto's <c>ModelVersion.task</c> spells them.</summary>
    public static readonly IReadOnlySet<string> Tasks =
        new HashSet<string>(["binary_classification", "multiclass_classification", "regression", "clustering"], StringComparer.Ordinal);

    public required string ModelName { get; init; }
    public required ModelVersionSource Source { get; init; }
    /// <summary>The training job; null for an upload.</summary>
    public string? JobId { get; init; }
    public int Attempt { get; init; }
    public Guid? DatasetId { get; init; }
    public string? DatasetSha256 { get; init; }
    public required string Task { get; init; }
    public required string Trainer { get; init; }
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();
    public int Seed { get; init; }
    public string LabelColumn { get; init; } = "";
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyList<PreparationStepRecord> PreparationSteps { get; init; } = [];
    public string PlatformVersion { get; init; } = "";
    public string GitCommit { get; init; } = "";
    public double TrainingSeconds { get; init; }
    public DateTimeOffset? TrainedAt { get; init; }
    public string Worker { get; init; } = "";
    public IReadOnlyList<SchemaColumnRecord> InputSchema { get; init; } = [];
    public IReadOnlyList<SchemaColumnRecord> OutputSchema { get; init; } = [];
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public string Description { get; init; } = "";

    /// <summary>
    /// Checks the <c>version</c> message a worker sends for a training job. Its <c>version</c> number, <c>artifacts</c>
    /// and the other fields the store assigns (id, source, aliases, approval) are ignored.
    /// </summary>
    /// <exception cref="InvalidArgumentException">A field is missing or malformed.</exception>
    public static ModelVersionRegistration FromJob(ModelVersion message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var jobId = Required(message.JobId, "version.job_id", MaxJobIdLength);
        if (!Guid.TryParse(message.DatasetId, out var datasetId))
            throw new InvalidArgumentException("version.dataset_id", $"{Echo.Quote(message.DatasetId)} is not a data set id");
        var datasetSha256 = NameRules.ValidateSha256(message.DatasetSha256, "version.dataset_sha256");
        return Common(message, ModelVersionSource.TrainingJob,
            Required(message.Trainer, "version.trainer", 100),
            // Clustering trains without a label; every other task has one.
            message.Task == "clustering"
                ? TextRules.Validate(message.LabelColumn, "version.label_column", 1000)
                : Required(message.LabelColumn, "version.label_column", 1000)) with
        {
            JobId = jobId,
            DatasetId = datasetId,
            DatasetSha256 = datasetSha256,
        };
    }

    /// <summary>
    /// Checks the <c>version</c> message of an upload: a model trained elsewhere. The model name and task are required;
    /// the data set (with its SHA-256, filled in by the store when left empty) and the rest of the lineage are optional.
    /// </summary>
    /// <exception cref="InvalidArgumentException">A field is malformed, or <c>job_id</c> is set (only workers register jobs).</exception>
    public static ModelVersionRegistration FromUpload(ModelVersion message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!string.IsNullOrEmpty(message.JobId))
            throw new InvalidArgumentException("version.job_id",
                "must be empty for an upload: versions of training jobs are registered by the worker that ran the job");
        Guid? datasetId = null;
        if (!string.IsNullOrEmpty(message.DatasetId))
        {
            if (!Guid.TryParse(message.DatasetId, out var id))
                throw new InvalidArgumentException("version.dataset_id", $"{Echo.Quote(message.DatasetId)} is not a data set id");
            datasetId = id;
        }
        var datasetSha256 = NameRules.ValidateOptionalSha256(message.DatasetSha256, "version.dataset_sha256");
        if (datasetId is null && datasetSha256 is not null)
            throw new InvalidArgumentException("version.dataset_sha256", "is given without version.dataset_id");
        return Common(message, ModelVersionSource.Upload,
            TextRules.Validate(message.Trainer, "version.trainer", 100),
            TextRules.Validate(message.LabelColumn, "version.label_column", 1000)) with
        {
            DatasetId = datasetId,
            DatasetSha256 = datasetSha256,
        };
    }

    private static ModelVersionRegistration Common(ModelVersion message, ModelVersionSource source, string trainer, string labelColumn)
    {
        var modelName = ModelNames.Validate(message.ModelName, "version.model_name");
        if (!Tasks.Contains(message.Task))
            throw new InvalidArgumentException("version.task",
                $"{Echo.Quote(message.Task)} is not a task (one of {string.Join(", ", Tasks)})");
        if (message.Attempt < 0)
            throw new InvalidArgumentException("version.attempt", $"{message.Attempt} is negative");
        if (!double.IsFinite(message.TrainingSeconds) || message.TrainingSeconds < 0)
            throw new InvalidArgumentException("version.training_seconds", $"{message.TrainingSeconds} is not a duration in seconds");
        foreach (var name in message.Metrics.Keys)
            Required(name, "version.metrics", MaxShortTextLength);
        foreach (var (name, value) in message.Hyperparameters)
        {
            Required(name, "version.hyperparameters", MaxShortTextLength);
            TextRules.Validate(value, $"version.hyperparameters[{name}]", MaxDescriptionLength);
        }
        return new ModelVersionRegistration
        {
            ModelName = modelName,
            Source = source,
            Attempt = message.Attempt,
            Task = message.Task,
            Trainer = trainer,
            Hyperparameters = new Dictionary<string, string>(message.Hyperparameters),
            Seed = message.Seed,
            LabelColumn = labelColumn,
            Metrics = new Dictionary<string, double>(message.Metrics),
            PreparationSteps = Steps(message.PreparationSteps),
            PlatformVersion = TextRules.Validate(message.PlatformVersion, "version.platform_version", MaxShortTextLength),
            GitCommit = TextRules.Validate(message.GitCommit, "version.git_commit", MaxShortTextLength),
            TrainingSeconds = message.TrainingSeconds,
            TrainedAt = message.TrainedAt?.ToDateTimeOffset(),
            Worker = TextRules.Validate(message.Worker, "version.worker", MaxShortTextLength),
            InputSchema = Schema(message.InputSchema, "version.input_schema"),
            OutputSchema = Schema(message.OutputSchema, "version.output_schema"),
            Tags = Models.Tags.Validate(message.Tags, "version.tags"),
            Description = TextRules.Validate(message.Description, "version.description", MaxDescriptionLength, multiline: true),
        };
    }

    private static List<PreparationStepRecord> Steps(Google.Protobuf.Collections.RepeatedField<PreparationStep> steps)
    {
        if (steps.Count > MaxSteps)
            throw new InvalidArgumentException("version.preparation_steps", $"has {steps.Count} steps; at most {MaxSteps}");
        return steps.Select((step, i) =>
        {
            var field = $"version.preparation_steps[{i}]";
            if (step.Columns.Count > MaxColumns)
                throw new InvalidArgumentException($"{field}.columns", $"has {step.Columns.Count} columns; at most {MaxColumns}");
            return new PreparationStepRecord(
                Required(step.Kind, $"{field}.kind", MaxShortTextLength),
                step.Columns.Select(c => Required(c, $"{field}.columns", 1000)).ToList(),
                step.Parameters.ToDictionary(
                    p => Required(p.Key, $"{field}.parameters", MaxShortTextLength),
                    p => TextRules.Validate(p.Value, $"{field}.parameters[{p.Key}]", MaxDescriptionLength),
                    StringComparer.Ordinal));
        }).ToList();
    }

    private static List<SchemaColumnRecord> Schema(Google.Protobuf.Collections.RepeatedField<SchemaColumn> columns, string field)
    {
        if (columns.Count > MaxColumns)
            throw new InvalidArgumentException(field, $"has {columns.Count} columns; at most {MaxColumns}");
        return columns.Select((c, i) => new SchemaColumnRecord(
            Required(c.Name, $"{field}[{i}].name", 1000),
            Required(c.Type, $"{field}[{i}].type", MaxShortTextLength))).ToList();
    }

    private static string Required(string value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidArgumentException(field, "is required");
        return TextRules.Validate(value, field, maxLength);
    }
}

/// <summary>An <c>artifact</c> message of a registration, checked: what the sender says the next bytes are.</summary>
public sealed partial record ArtifactDeclaration(string Kind, string Sha256, long SizeBytes, string FileName)
{
    /// <summary>Longest artifact kind.</summary>
    public const int MaxKindLength = 50;

    /// <summary>The artifact every version has: the ML.NET model zip.</summary>
    public const string ModelKind = "model";

    /// <summary>The worker's evaluation.json: evaluation method, metrics, per-class figures, confusion matrix.</summary>
    public const string EvaluationKind = "evaluation";

    /// <summary>Checks an <c>artifact</c> message; the file name defaults to the kind.</summary>
    /// <param name="message">The message.</param>
    /// <param name="maxSizeBytes">The store's size limit per artifact (<c>ModelStore:MaxArtifactBytes</c>).</param>
    /// <exception cref="InvalidArgumentException">A field is missing or malformed, or the size is over the limit.</exception>
    public static ArtifactDeclaration From(Artifact message, long maxSizeBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!KindPattern().IsMatch(message.Kind))
            throw new InvalidArgumentException("artifact.kind",
                $"{Echo.Quote(message.Kind)} is not an artifact kind (1-{MaxKindLength} of a-z, 0-9, '-', '_', starting with a letter, e.g. \"model\")");
        var sha256 = NameRules.ValidateSha256(message.Sha256, "artifact.sha256");
        if (message.SizeBytes < 0)
            throw new InvalidArgumentException("artifact.size_bytes", $"{message.SizeBytes} is negative");
        if (message.SizeBytes > maxSizeBytes)
            throw new InvalidArgumentException("artifact.size_bytes",
                $"{message.SizeBytes} bytes is more than this store accepts per artifact ({maxSizeBytes} bytes, ModelStore:MaxArtifactBytes)");
        var fileName = string.IsNullOrEmpty(message.FileName)
            ? message.Kind
            : NameRules.ValidateFileName(message.FileName, "artifact.file_name");
        return new ArtifactDeclaration(message.Kind, sha256, message.SizeBytes, fileName);
    }

    /// <summary>Whether <paramref name="kind"/> is a well-formed artifact kind.</summary>
    public static bool IsKind(string? kind) => kind is not null && KindPattern().IsMatch(kind);

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,49}$")]
    private static partial Regex KindPattern();
}
