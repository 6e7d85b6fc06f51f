using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Platform.Datasets.V1;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Datasets;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.ModelStore.Grpc;

/// <summary>
/// The public <c>DatasetService</c>: uploads are profiled (<see cref="CsvSchemaScanner"/>) and hashed while they
/// stream to a temp file, and become a data set only when the whole file is valid: a bad upload leaves no row,
/// no blob and no temp file. Everything is scoped by the caller's tenant.
/// </summary>
public sealed class DatasetGrpcService(
    ModelStoreDbContext db, BlobStore blobs, TimeProvider time, ILogger<DatasetGrpcService> logger)
    : DatasetService.DatasetServiceBase
{
    /// <summary>Longest data set name.</summary>
    public const int MaxNameLength = 255;

    /// <inheritdoc />
    public override async Task<Dataset> UploadDataset(
        IAsyncStreamReader<UploadDatasetRequest> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        var tenantId = Tenant.From(context);
        var cancellationToken = context.CancellationToken;

        if (!await requestStream.MoveNext(cancellationToken)
            || requestStream.Current.ContentCase != UploadDatasetRequest.ContentOneofCase.Header)
            throw new InvalidArgumentException("header", "the first message of an upload must be the header (name, format)");
        var header = requestStream.Current.Header;
        var name = NameRules.ValidateFileName(header.Name, "header.name", MaxNameLength);
        // CSV is the only format so far, so leaving it unset means CSV.
        if (header.Format is not (DatasetFormat.Csv or DatasetFormat.Unspecified))
            throw new InvalidArgumentException("header.format", $"{header.Format} is not supported (DATASET_FORMAT_CSV)");
        var expectedSha256 = NameRules.ValidateOptionalSha256(header.Sha256, "header.sha256");

        var scanner = new CsvSchemaScanner();
        await using var upload = blobs.StartUpload();
        DatasetProfile profile;
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                var message = requestStream.Current;
                if (message.ContentCase != UploadDatasetRequest.ContentOneofCase.Chunk)
                    throw new InvalidArgumentException("header", "only the first message of an upload may be a header");
                var bytes = message.Chunk.Memory;
                scanner.Append(bytes.Span);
                await upload.WriteAsync(bytes, cancellationToken);
            }
            profile = scanner.Complete();
        }
        catch (CsvFormatException ex)
        {
            throw new InvalidArgumentException("content", ex.Message);
        }

        var sha256 = await upload.CompleteAsync(cancellationToken);
        if (expectedSha256 is not null && expectedSha256 != sha256)
            throw new DataLossException(
                $"header.sha256: the bytes received hash to {sha256}, not {expectedSha256}; nothing was stored");

        var now = StoreTime.Now(time);
        var record = new DatasetRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = name,
            Format = "csv",
            Sha256 = sha256,
            SizeBytes = upload.Length,
            RowCount = profile.RowCount,
            Columns = profile.Columns,
            CreatedAt = now,
        };
        // From here on the upload is complete and valid: a client that goes away now must not leave
        // a blob without its row, so the last steps ignore cancellation. The bytes move into place under
        // the blob's lock inside the row's transaction, like a model version's (see BlobLocks).
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            await BlobLocks.AcquireAsync(db, [sha256], CancellationToken.None);
            await upload.CommitAsync(CancellationToken.None);
            db.Datasets.Add(record);
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        });

        logger.LogInformation("Dataset {DatasetId} '{Name}' uploaded for tenant {TenantId}: {Rows} rows, {Columns} columns, {Bytes} bytes",
            record.Id, name, tenantId, record.RowCount, record.Columns.Count, record.SizeBytes);
        return record.ToProto();
    }

    /// <inheritdoc />
    public override async Task<Dataset> GetDataset(GetDatasetRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await FindAsync(Tenant.From(context), request.DatasetId, context.CancellationToken);
        return record.ToProto();
    }

    /// <inheritdoc />
    public override async Task<ListDatasetsResponse> ListDatasets(ListDatasetsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var pageSize = Paging.Size(request.PageSize);

        var query = db.Datasets.AsNoTracking().Where(d => d.TenantId == tenantId);
        if (Paging.Position(request.PageToken) is { } position)
        {
            var (createdAt, id) = ParsePosition(position);
            // Newest first: continue with rows older than the last one, or as old with a smaller id.
            query = query.Where(d => d.CreatedAt < createdAt || (d.CreatedAt == createdAt && d.Id.CompareTo(id) < 0));
        }
        var page = await query
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id)
            .Take(pageSize + 1)
            .ToListAsync(context.CancellationToken);

        var response = new ListDatasetsResponse { Datasets = { page.Take(pageSize).Select(d => d.ToProto()) } };
        if (page.Count > pageSize)
        {
            var last = page[pageSize - 1];
            response.NextPageToken = Paging.Token($"{last.CreatedAt.UtcTicks}/{last.Id:N}");
        }
        return response;
    }

    /// <inheritdoc />
    public override async Task DownloadDataset(
        DownloadDatasetRequest request, IServerStreamWriter<DataChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        var record = await FindAsync(Tenant.From(context), request.DatasetId, context.CancellationToken);
        // Reading observes the call's cancellation; the server's writer ends with the call by itself.
        await foreach (var chunk in blobs.ReadAsync(record.Sha256, $"dataset '{record.Id}'", context.CancellationToken))
            await responseStream.WriteAsync(new DataChunk { Data = ByteString.CopyFrom(chunk.Span) });
    }

    private async Task<DatasetRecord> FindAsync(string tenantId, string datasetId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(datasetId, out var id))
            throw new InvalidArgumentException("dataset_id", $"'{datasetId}' is not a data set id");
        // Another tenant's data set is reported exactly like one that does not exist.
        return await db.Datasets.AsNoTracking()
                   .SingleOrDefaultAsync(d => d.TenantId == tenantId && d.Id == id, cancellationToken)
               ?? throw new NotFoundException("dataset", datasetId);
    }

    private static (DateTimeOffset CreatedAt, Guid Id) ParsePosition(string position)
    {
        var parts = position.Split('/');
        if (parts.Length == 2
            && long.TryParse(parts[0], out var ticks) && ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && Guid.TryParseExact(parts[1], "N", out var id))
            return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        throw Paging.Invalid();
    }
}
