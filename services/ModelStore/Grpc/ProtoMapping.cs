using Google.Protobuf.WellKnownTypes;
using Platform.Datasets.V1;
using Platform.ModelStore.Data;
using Platform.ModelStore.Datasets;
using Platform.ModelStore.Maintenance;
using Platform.ModelStore.Models;
using Platform.Models.V1;
using Platform.Registry.V1;
using ApprovalStatus = Platform.ModelStore.Data.ApprovalStatus;
using ModelVersionSource = Platform.ModelStore.Data.ModelVersionSource;
using ApiApprovalStatus = Platform.Models.V1.ApprovalStatus;
using ApiVersionSource = Platform.Models.V1.ModelVersionSource;

namespace Platform.ModelStore.Grpc;

/// <summary>Rows to the messages of the public API, and the API's enums to the store's.</summary>
internal static class ProtoMapping
{
    public static Dataset ToProto(this DatasetRecord record) => new()
    {
        Id = record.Id.ToString(),
        TenantId = record.TenantId,
        Name = record.Name,
        Format = record.Format switch
        {
            "csv" => DatasetFormat.Csv,
            "tsv" => DatasetFormat.Tsv,
            "parquet" => DatasetFormat.Parquet,
            _ => DatasetFormat.Unspecified,
        },
        Sha256 = record.Sha256,
        SizeBytes = record.SizeBytes,
        RowCount = record.RowCount,
        Columns =
        {
            record.Columns.Select(c => new Column
            {
                Name = c.Name,
                MissingCount = c.MissingCount,
                Type = c.Type.ToProto(),
                Sensitive = c.Sensitive,
            }),
        },
        CreatedAt = Timestamp.FromDateTimeOffset(record.CreatedAt),
    };

    public static ColumnType ToProto(this DatasetColumnType type) => type switch
    {
        DatasetColumnType.Numeric => ColumnType.Numeric,
        DatasetColumnType.Boolean => ColumnType.Boolean,
        DatasetColumnType.Text => ColumnType.Text,
        DatasetColumnType.Date => ColumnType.Date,
        _ => ColumnType.Categorical,
    };

    /// <summary>A model with the number of its newest version.</summary>
    public static Model ToProto(this ModelWithLatest model) => new()
    {
        Name = model.Model.Name,
        TenantId = model.Model.TenantId,
        LatestVersion = model.Latest,
        CreatedAt = Timestamp.FromDateTimeOffset(model.Model.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(model.Model.UpdatedAt),
        KeepLastVersions = model.Model.KeepLastVersions,
    };

    /// <summary>A comparison: the versions in order with their evaluation method and confusion matrix, and the metrics lined up.</summary>
    public static ModelVersionComparison ToProto(this IReadOnlyList<ComparedVersion> versions)
    {
        var message = new ModelVersionComparison();
        foreach (var (version, evaluation) in versions)
        {
            var compared = new ComparedModelVersion { Version = version.ToProto() };
            if (evaluation is not null)
            {
                compared.Evaluation = new ComparedEvaluationMethod
                {
                    Method = evaluation.Method, Folds = evaluation.Folds, HoldoutFraction = evaluation.HoldoutFraction, Stratified = evaluation.Stratified,
                };
                if (evaluation.Classes.Count > 0)
                    compared.ConfusionMatrix = new ComparedConfusionMatrix { Classes = { evaluation.Classes }, Counts = { evaluation.Counts } };
            }
            message.Versions.Add(compared);
        }
        foreach (var row in VersionComparison.Metrics([.. versions.Select(v => v.Version)]))
        {
            var metric = new MetricComparison { Metric = row.Metric, Direction = row.Direction };
            foreach (var cell in row.Values)
            {
                var value = new ComparedMetricValue { Better = cell.Better };
                if (cell.Value is { } number) value.Value = number;
                if (cell.StandardDeviation is { } deviation) value.StandardDeviation = deviation;
                metric.Values.Add(value);
            }
            message.Metrics.Add(metric);
        }
        return message;
    }

    /// <summary>A version with its artifacts, tags and aliases; <see cref="ModelVersionRecord.Model"/> must be loaded (for the name).</summary>
    public static ModelVersion ToProto(this ModelVersionRecord record)
    {
        var message = new ModelVersion
        {
            ModelName = record.Model?.Name ?? throw new InvalidOperationException("The version's model is not loaded."),
            Version = record.Version,
            TenantId = record.TenantId,
            JobId = record.JobId ?? "",
            DatasetId = record.DatasetId?.ToString() ?? "",
            DatasetSha256 = record.DatasetSha256 ?? "",
            Task = record.Task,
            Trainer = record.Trainer,
            Hyperparameters = { record.Hyperparameters.ToDictionary() },
            Seed = record.Seed,
            LabelColumn = record.LabelColumn,
            Metrics = { record.Metrics.ToDictionary() },
            Artifacts = { record.Artifacts.OrderBy(a => a.Kind, StringComparer.Ordinal).Select(ToProto) },
            CreatedAt = Timestamp.FromDateTimeOffset(record.CreatedAt),
            Id = record.Id.ToString(),
            Source = record.Source switch
            {
                ModelVersionSource.Upload => ApiVersionSource.Upload,
                _ => ApiVersionSource.TrainingJob,
            },
            Attempt = record.Attempt,
            PreparationSteps =
            {
                record.PreparationSteps.Select(s => new PreparationStep { Kind = s.Kind, Columns = { s.Columns }, Parameters = { s.Parameters.ToDictionary() } }),
            },
            PlatformVersion = record.PlatformVersion,
            GitCommit = record.GitCommit,
            TrainingSeconds = record.TrainingSeconds,
            TrainedAt = record.TrainedAt is { } trainedAt ? Timestamp.FromDateTimeOffset(trainedAt) : null,
            Worker = record.Worker,
            InputSchema = { record.InputSchema.Select(c => new SchemaColumn { Name = c.Name, Type = c.Type }) },
            OutputSchema = { record.OutputSchema.Select(c => new SchemaColumn { Name = c.Name, Type = c.Type }) },
            Tags = { record.Tags.ToDictionary(t => t.Key, t => t.Value) },
            Aliases = { record.Aliases.Select(a => a.Name).Order(StringComparer.Ordinal) },
            Approval = new ModelVersionApproval
            {
                Status = record.ApprovalStatus.ToProto(),
                Actor = record.ApprovalActor ?? "",
                DecidedAt = record.ApprovalDecidedAt is { } decidedAt ? Timestamp.FromDateTimeOffset(decidedAt) : null,
                Comment = record.ApprovalComment ?? "",
            },
            Description = record.Description,
        };
        return message;
    }

    public static Artifact ToProto(this ArtifactRecord record) => new()
    {
        Kind = record.Kind,
        Sha256 = record.Sha256,
        SizeBytes = record.SizeBytes,
        FileName = record.FileName,
    };

    public static ModelAlias ToProto(this AliasState alias) => new()
    {
        ModelName = alias.ModelName,
        Alias = alias.Alias,
        Version = alias.Version,
        PreviousVersion = alias.PreviousVersion,
        SetBy = alias.SetBy,
        SetAt = Timestamp.FromDateTimeOffset(alias.SetAt),
    };

    public static ErasureRecord ToProto(this DatasetErasureRecord record) => new()
    {
        Id = record.Id.ToString(),
        TenantId = record.TenantId,
        DatasetId = record.DatasetId.ToString(),
        Actor = record.Actor,
        RequestReference = record.RequestReference,
        ErasedAt = Timestamp.FromDateTimeOffset(record.ErasedAt),
        Versions = { record.Versions.Select(v => new ErasedModelVersion { ModelName = v.ModelName, Version = v.Version, VersionId = v.VersionId.ToString() }) },
        BlobsDeleted = record.BlobsDeleted,
    };

    public static MaintenanceReport ToProto(this MaintenanceResult result) => new()
    {
        RetiredVersions = { result.RetiredVersions.Select(v => new RetiredModelVersion { TenantId = v.TenantId, ModelName = v.ModelName, Version = v.Version }) },
        OrphanBlobsDeleted = result.OrphanBlobsDeleted,
        OrphanBytesDeleted = result.OrphanBytesDeleted,
        TempFilesDeleted = result.TempFilesDeleted,
        Dangling = { result.Dangling.Select(d => new Registry.V1.DanglingReference { TenantId = d.TenantId, Kind = d.Kind, Owner = d.Owner, Sha256 = d.Sha256 }) },
        PublishedEventsDeleted = result.PublishedEventsDeleted,
    };

    public static ApiApprovalStatus ToProto(this ApprovalStatus status) => status switch
    {
        ApprovalStatus.Approved => ApiApprovalStatus.Approved,
        ApprovalStatus.Rejected => ApiApprovalStatus.Rejected,
        _ => ApiApprovalStatus.Pending,
    };

    /// <summary>The store's status for an API status; null for UNSPECIFIED.</summary>
    public static ApprovalStatus? FromProto(this ApiApprovalStatus status) => status switch
    {
        ApiApprovalStatus.Pending => ApprovalStatus.Pending,
        ApiApprovalStatus.Approved => ApprovalStatus.Approved,
        ApiApprovalStatus.Rejected => ApprovalStatus.Rejected,
        _ => null,
    };
}
