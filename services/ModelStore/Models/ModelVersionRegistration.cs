using System.Text.RegularExpressions;
using Platform.Models.V1;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Models;

/// <summary>
/// The first message of a registration (everything but the artifacts), checked. Field names in errors
/// are those of the request: <c>version.model_name</c>, <c>version.job_id</c>, ….
/// </summary>
public sealed record ModelVersionRegistration(
    string ModelName,
    string JobId,
    Guid DatasetId,
    string DatasetSha256,
    string Task,
    string Trainer,
    IReadOnlyDictionary<string, string> Hyperparameters,
    int Seed,
    string LabelColumn,
    IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Longest training job id.</summary>
    public const int MaxJobIdLength = 200;

    /// <summary>The tasks a version can be trained for, as the proto's <c>ModelVersion.task</c> spells them.</summary>
    public static readonly IReadOnlySet<string> Tasks =
        new HashSet<string>(["binary_classification", "multiclass_classification", "regression"], StringComparer.Ordinal);

    /// <summary>Checks a <c>version</c> message. Its <c>version</c> number and <c>artifacts</c> are ignored: the store assigns both.</summary>
    /// <exception cref="InvalidArgumentException">A field is missing or malformed.</exception>
    public static ModelVersionRegistration From(ModelVersion message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var modelName = ModelNames.Validate(message.ModelName, "version.model_name");
        var jobId = Required(message.JobId, "version.job_id", MaxJobIdLength);
        if (!Guid.TryParse(message.DatasetId, out var datasetId))
            throw new InvalidArgumentException("version.dataset_id", $"'{message.DatasetId}' is not a data set id");
        var datasetSha256 = NameRules.ValidateSha256(message.DatasetSha256, "version.dataset_sha256");
        if (!Tasks.Contains(message.Task))
            throw new InvalidArgumentException("version.task",
                $"'{message.Task}' is not a task (one of {string.Join(", ", Tasks)})");
        var trainer = Required(message.Trainer, "version.trainer", 100);
        var labelColumn = Required(message.LabelColumn, "version.label_column", 1000);
        return new ModelVersionRegistration(modelName, jobId, datasetId, datasetSha256, message.Task, trainer,
            new Dictionary<string, string>(message.Hyperparameters), message.Seed, labelColumn,
            new Dictionary<string, double>(message.Metrics));
    }

    private static string Required(string value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidArgumentException(field, "is required");
        if (value.Length > maxLength)
            throw new InvalidArgumentException(field, $"is longer than {maxLength} characters");
        return value;
    }
}

/// <summary>An <c>artifact</c> message of a registration, checked: what the sender says the next bytes are.</summary>
public sealed partial record ArtifactDeclaration(string Kind, string Sha256, long SizeBytes, string FileName)
{
    /// <summary>Longest artifact kind.</summary>
    public const int MaxKindLength = 50;

    /// <summary>Checks an <c>artifact</c> message; the file name defaults to the kind.</summary>
    /// <exception cref="InvalidArgumentException">A field is missing or malformed.</exception>
    public static ArtifactDeclaration From(Artifact message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!KindPattern().IsMatch(message.Kind))
            throw new InvalidArgumentException("artifact.kind",
                $"'{message.Kind}' is not an artifact kind (1-{MaxKindLength} of a-z, 0-9, '-', '_', starting with a letter, e.g. \"model\")");
        var sha256 = NameRules.ValidateSha256(message.Sha256, "artifact.sha256");
        if (message.SizeBytes < 0)
            throw new InvalidArgumentException("artifact.size_bytes", $"{message.SizeBytes} is negative");
        var fileName = string.IsNullOrEmpty(message.FileName)
            ? message.Kind
            : NameRules.ValidateFileName(message.FileName, "artifact.file_name");
        return new ArtifactDeclaration(message.Kind, sha256, message.SizeBytes, fileName);
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,49}$")]
    private static partial Regex KindPattern();
}
