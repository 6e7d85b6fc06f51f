using Google.Protobuf.WellKnownTypes;
using Platform.Datasets.V1;
using Platform.ModelStore.Data;
using Platform.ModelStore.Datasets;
using Platform.Models.V1;

namespace Platform.ModelStore.Grpc;

/// <summary>Rows to the messages of the public API.</summary>
internal static class ProtoMapping
{
    public static Dataset ToProto(this DatasetRecord record) => new()
    {
        Id = record.Id.ToString(),
        TenantId = record.TenantId,
        Name = record.Name,
        Format = record.Format == "csv" ? DatasetFormat.Csv : DatasetFormat.Unspecified,
        Sha256 = record.Sha256,
        SizeBytes = record.SizeBytes,
        RowCount = record.RowCount,
        Columns =
        {
            record.Columns.Select(c => new Column
            {
                Name = c.Name,
                MissingCount = c.MissingCount,
                Type = c.Type switch
                {
                    DatasetColumnType.Numeric => ColumnType.Numeric,
                    DatasetColumnType.Boolean => ColumnType.Boolean,
                    _ => ColumnType.Categorical,
                },
            }),
        },
        CreatedAt = Timestamp.FromDateTimeOffset(record.CreatedAt),
    };

    public static Model ToProto(this ModelRecord record) => new()
    {
        Name = record.Name,
        TenantId = record.TenantId,
        LatestVersion = record.LatestVersion,
        CreatedAt = Timestamp.FromDateTimeOffset(record.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(record.UpdatedAt),
    };

    /// <summary>A version with its artifacts; <see cref="ModelVersionRecord.Model"/> must be loaded (for the name).</summary>
    public static ModelVersion ToProto(this ModelVersionRecord record) => new()
    {
        ModelName = record.Model?.Name ?? throw new InvalidOperationException("The version's model is not loaded."),
        Version = record.Version,
        TenantId = record.TenantId,
        JobId = record.JobId,
        DatasetId = record.DatasetId.ToString(),
        DatasetSha256 = record.DatasetSha256,
        Task = record.Task,
        Trainer = record.Trainer,
        Hyperparameters = { record.Hyperparameters.ToDictionary() },
        Seed = record.Seed,
        LabelColumn = record.LabelColumn,
        Metrics = { record.Metrics.ToDictionary() },
        Artifacts = { record.Artifacts.OrderBy(a => a.Kind, StringComparer.Ordinal).Select(ToProto) },
        CreatedAt = Timestamp.FromDateTimeOffset(record.CreatedAt),
    };

    public static Artifact ToProto(this ArtifactRecord record) => new()
    {
        Kind = record.Kind,
        Sha256 = record.Sha256,
        SizeBytes = record.SizeBytes,
        FileName = record.FileName,
    };
}
