using Grpc.Core;
using Platform.Datasets.V1;
using Platform.ServiceDefaults.Tenancy;
using Platform.Training.ModelCards;

namespace Platform.Worker.Training;

/// <summary>
/// Reads a data set's stored profile from the model store (<c>DatasetService.GetDatasetProfile</c>) for the model
/// card. The card is a description, not the model: when the profile cannot be read, the card says why and shows
/// the columns as the data set's record has them, and the job goes on.
/// </summary>
public sealed class DatasetProfileReader(DatasetService.DatasetServiceClient datasets, TimeProvider time, ILogger<DatasetProfileReader> logger)
{
    /// <summary>How long the card waits for the profile (the store reads a stored row; a backfill reads the blob once).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <param name="dataset">The data set's record, the fallback.</param>
    /// <param name="label">The job's label column (the profile then reports its classes and imbalance); empty for none.</param>
    public async Task<DataProfile> ReadAsync(string tenantId, Dataset dataset, string label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        // A timer of the TimeProvider, not a gRPC deadline: a deadline is wall-clock time on the wire.
        using var timeout = new CancellationTokenSource(Timeout, time);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var profile = await datasets.GetDatasetProfileAsync(
                new GetDatasetProfileRequest { DatasetId = dataset.Id, Label = label }, Tenant.Headers(tenantId), cancellationToken: call.Token);
            return FromProfile(profile);
        }
        catch (Exception exception) when (exception is RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = timeout.IsCancellationRequested
                ? $"the model store did not answer within {Timeout.TotalMinutes:0} minutes"
                : exception is RpcException rpc ? $"the model store answered {rpc.StatusCode}: {rpc.Status.Detail}" : exception.Message;
            logger.LogWarning("Data set {DatasetId}: no stored profile for the model card ({Reason}); using the data set's record", dataset.Id, reason);
            return FromRecord(dataset, reason);
        }
    }

    /// <summary>The card's view of the stored profile.</summary>
    public static DataProfile FromProfile(DatasetProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new DataProfile
        {
            Rows = profile.RowCount,
            Columns = [.. profile.Columns.Select(c => new DataProfileColumn(
                c.Name, TypeName(c.Type), c.MissingCount, c.MissingShare, c.DistinctCount, c.DistinctExact))],
            // Profiles from before warning details carry the sentences alone.
            Warnings = profile.WarningDetails.Count > 0
                ? [.. profile.WarningDetails.Select(w => new DataWarning(w.Kind, w.Column, w.Message))]
                : [.. profile.Warnings.Select(w => new DataWarning("", "", w))],
            LabelImbalance = profile.Label is { Classes.Count: > 0 } label ? label.ImbalanceRatio : null,
        };
    }

    /// <summary>What the data set's record says (type and missing count per column), and why that is all.</summary>
    public static DataProfile FromRecord(Dataset dataset, string unavailable)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new DataProfile
        {
            Columns = [.. dataset.Columns.Select(c => new DataProfileColumn(c.Name, TypeName(c.Type), c.MissingCount))],
            Unavailable = unavailable,
        };
    }

    private static string TypeName(ColumnType type) => type switch
    {
        ColumnType.Numeric => "numeric",
        ColumnType.Categorical => "categorical",
        ColumnType.Boolean => "boolean",
        ColumnType.Text => "text",
        ColumnType.Date => "date",
        _ => "unspecified",
    };
}
