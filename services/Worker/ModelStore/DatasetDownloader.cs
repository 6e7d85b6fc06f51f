using System.Security.Cryptography;
using Grpc.Core;
using Platform.Datasets.V1;
using Platform.ServiceDefaults.Tenancy;
using Platform.Training.Data;
using Platform.Transfers;

namespace Platform.Worker.ModelStore;

/// <summary>Fetches a data set's schema and bytes from the model store into a local file.</summary>
public sealed class DatasetDownloader(DatasetService.DatasetServiceClient datasets, ModelStoreByteStream? byteStream = null)
{
    /// <summary>The data set as downloaded: the local file with its columns and format, and the store's record of it.</summary>
    public sealed record DownloadedDataset(DatasetFile File, Dataset Dataset);

    /// <summary>
    /// Downloads the data set into <paramref name="path"/>, checking the bytes against the SHA-256
    /// the store recorded. <paramref name="progress"/> receives the share of bytes received.
    /// </summary>
    /// <exception cref="RpcException">From the store, for example NotFound for an unknown id or another tenant's.</exception>
    /// <exception cref="InvalidDataException">The bytes do not match the recorded checksum.</exception>
    public async Task<DownloadedDataset> DownloadAsync(
        string tenantId, Guid datasetId, string path, Action<double> progress, CancellationToken cancellationToken)
    {
        var headers = Tenant.Headers(tenantId);
        var id = datasetId.ToString();
        var dataset = await datasets.GetDatasetAsync(new GetDatasetRequest { DatasetId = id }, headers, cancellationToken: cancellationToken);

        var (sha256, received) = byteStream?.For(tenantId) is { } transfers
            ? await DownloadOverByteStreamAsync(transfers, dataset, path, progress, cancellationToken)
            : await DownloadOverGrpcAsync(dataset, headers, path, progress, cancellationToken);
        if (!string.Equals(sha256, dataset.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"Data set {id} arrived with SHA-256 {sha256} ({received} bytes), but the model store recorded {dataset.Sha256} ({dataset.SizeBytes} bytes): not trained on.");

        var columns = dataset.Columns.Select(column => new DatasetColumn(column.Name, column.Type switch
        {
            ColumnType.Numeric => ColumnKind.Numeric,
            ColumnType.Boolean => ColumnKind.Boolean,
            ColumnType.Text => ColumnKind.Text,
            ColumnType.Date => ColumnKind.Date,
            _ => ColumnKind.Categorical,
        }, column.Sensitive)).ToArray();
        return new DownloadedDataset(new DatasetFile(path, columns, FormatOf(dataset)) { FileName = dataset.Name }, dataset);
    }

    private async Task<(string Sha256, long Size)> DownloadOverGrpcAsync(
        Dataset dataset, Metadata headers, string path, Action<double> progress, CancellationToken cancellationToken)
    {
        using var call = datasets.DownloadDataset(new DownloadDatasetRequest { DatasetId = dataset.Id }, headers, cancellationToken: cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        // Unbuffered and asynchronous: each chunk goes to the file on another thread while this one hashes it.
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true))
        {
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                var writing = file.WriteAsync(chunk.Data.Memory, cancellationToken);
                hash.AppendData(chunk.Data.Span);
                await writing;
                received += chunk.Data.Length;
                if (dataset.SizeBytes > 0) progress((double)received / dataset.SizeBytes);
            }
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), received);
    }

    /// <summary>
    /// The bytes over the store's byte stream: checked there against the response's digest, and below against the
    /// SHA-256 the data set's record (read over gRPC) holds, so a mismatch of either is caught.
    /// </summary>
    private static async Task<(string Sha256, long Size)> DownloadOverByteStreamAsync(
        ByteStreamClient transfers, Dataset dataset, string path, Action<double> progress, CancellationToken cancellationToken)
    {
        var saved = await transfers.DownloadAsync(ByteStream.DatasetPath(dataset.Id), path, cancellationToken);
        progress(1);
        return (saved.Sha256, saved.SizeBytes);
    }

    /// <summary>The file's layout as the store recorded it; data sets stored before formats existed are CSV.</summary>
    public static global::Platform.Training.Data.DatasetFormat FormatOf(Dataset dataset) => dataset.Format switch
    {
        global::Platform.Datasets.V1.DatasetFormat.Tsv => global::Platform.Training.Data.DatasetFormat.Tsv,
        global::Platform.Datasets.V1.DatasetFormat.Parquet => global::Platform.Training.Data.DatasetFormat.Parquet,
        global::Platform.Datasets.V1.DatasetFormat.Csv or global::Platform.Datasets.V1.DatasetFormat.Unspecified => global::Platform.Training.Data.DatasetFormat.Csv,
        _ => throw new InvalidDataException($"Data set {dataset.Id} has format {dataset.Format}, which this worker cannot read."),
    };
}
