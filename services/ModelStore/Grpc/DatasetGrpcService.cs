using Google.Protobuf;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Datasets.V1;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Datasets;
using Platform.ModelStore.Datasets.Profiling;
using Platform.ServiceDefaults.Errors;
using Platform.ServiceDefaults.Tenancy;
using Platform.Contracts;

namespace Platform.ModelStore.Grpc;

/// <summary>
/// The public <c>DatasetService</c>: uploads are hashed while they stream to a temp file and are validated and
/// profiled by the format's <see cref="IDatasetScanner"/> (as they stream for CSV/TSV, from the completed temp file
/// for Parquet); they become a data set, with its stored profile, only when the whole file is valid: a bad upload
/// leaves no row, no blob and no temp file. Everything is scoped by the caller's tenant.
/// </summary>
public sealed class DatasetGrpcService(
    ModelStoreDbContext db, BlobStore blobs, TimeProvider time, IOptions<ModelStoreOptions> options, ILogger<DatasetGrpcService> logger)
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
        var format = ParseFormat(header.Format);
        var overrides = ParseColumnTypes(header.ColumnTypes);
        var expectedSha256 = NameRules.ValidateOptionalSha256(header.Sha256, "header.sha256");
        var sensitive = header.SensitiveColumns.ToHashSet(StringComparer.Ordinal);

        var limits = options.Value.Datasets;
        var scanner = DatasetScanners.For(format, overrides, limits);
        await using var upload = blobs.StartUpload();
        DatasetScan scan;
        string sha256;
        try
        {
            while (await requestStream.MoveNext(cancellationToken))
            {
                var message = requestStream.Current;
                if (message.ContentCase != UploadDatasetRequest.ContentOneofCase.Chunk)
                    throw new InvalidArgumentException("header", "only the first message of an upload may be a header");
                var bytes = message.Chunk.Memory;
                // Stop at the first chunk past the limit instead of storing an unbounded stream.
                if (upload.Length + bytes.Length > limits.MaxBytes)
                    throw new ResourceExhaustedException("ModelStore:Datasets:MaxBytes",
                        $"the data set is larger than this store accepts ({limits.MaxBytes} bytes); nothing was stored");
                scanner.Append(bytes.Span);
                await upload.WriteAsync(bytes, cancellationToken);
            }
            sha256 = await upload.CompleteAsync(cancellationToken);
            scan = await scanner.CompleteAsync(upload.OpenCompletedRead, cancellationToken);
        }
        catch (DatasetFormatException ex)
        {
            throw new InvalidArgumentException("content", ex.Message);
        }

        if (sensitive.Except(scan.Columns.Select(c => c.Name)).Order(StringComparer.Ordinal).FirstOrDefault() is { } unknown)
            throw new InvalidArgumentException("header.sensitive_columns", $"{Echo.Quote(unknown)} is not a column of the file; nothing was stored");
        if (expectedSha256 is not null && expectedSha256 != sha256)
            throw new DataLossException(
                $"header.sha256: the bytes received hash to {sha256}, not {expectedSha256}; nothing was stored");

        var now = StoreTime.Now(time);
        var record = new DatasetRecord
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = name,
            Format = format.ToString().ToLowerInvariant(),
            Sha256 = sha256,
            SizeBytes = upload.Length,
            RowCount = scan.RowCount,
            Columns = [.. scan.Columns.Select(c => c with { Sensitive = sensitive.Contains(c.Name) })],
            CreatedAt = now,
        };
        var profileRecord = new DatasetProfileRecord { DatasetId = record.Id, Profile = scan.Profile, ComputedAt = now };
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
            db.DatasetProfiles.Add(profileRecord);
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
        var record = await FindAsync(db, Tenant.From(context), request.DatasetId, context.CancellationToken);
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
        var record = await FindAsync(db, Tenant.From(context), request.DatasetId, context.CancellationToken);
        // Reading observes the call's cancellation; the server's writer ends with the call by itself. Chunks are
        // wrapped, not copied: the writer has serialized a message when WriteAsync completes, and only then does the
        // blob store reuse its buffer.
        await foreach (var chunk in blobs.ReadAsync(record.Sha256, $"dataset {Echo.Quote(record.Id)}", context.CancellationToken))
            await responseStream.WriteAsync(new DataChunk { Data = UnsafeByteOperations.UnsafeWrap(chunk) });
    }

    /// <inheritdoc />
    public override async Task<Platform.Datasets.V1.DatasetProfile> GetDatasetProfile(GetDatasetProfileRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await FindAsync(db, Tenant.From(context), request.DatasetId, context.CancellationToken);
        var stored = await db.DatasetProfiles.AsNoTracking()
            .Where(p => p.DatasetId == record.Id)
            .Select(p => p.Profile)
            .SingleOrDefaultAsync(context.CancellationToken)
            ?? await BackfillProfileAsync(record, context.CancellationToken);
        if (!string.IsNullOrEmpty(request.Label) && stored.Columns.Any(c => c.Name == request.Label)
            && stored.LabelAnalyses?.ContainsKey(request.Label) != true)
            stored = await AnalyseLabelAsync(record, stored, request.Label, context.CancellationToken);
        var sensitive = record.Columns.Where(c => c.Sensitive).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return ProfileReport.Build(record.Id, stored, request.Label, sensitive);
    }

    /// <inheritdoc />
    public override async Task<Dataset> UpdateSensitiveColumns(UpdateSensitiveColumnsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tenantId = Tenant.From(context);
        var found = await FindAsync(db, tenantId, request.DatasetId, context.CancellationToken);
        var names = found.Columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        Check(request.Sensitive, "sensitive");
        Check(request.NotSensitive, "not_sensitive");
        foreach (var name in request.Sensitive.Where(request.NotSensitive.Contains))
            throw new InvalidArgumentException("not_sensitive", $"{Echo.Quote(name)} is also in sensitive; a column is either sensitive or not");

        var record = await db.Datasets.SingleAsync(d => d.TenantId == tenantId && d.Id == found.Id, context.CancellationToken);
        record.Columns = [.. record.Columns.Select(c => c with
        {
            Sensitive = request.Sensitive.Contains(c.Name) || (c.Sensitive && !request.NotSensitive.Contains(c.Name)),
        })];
        await db.SaveChangesAsync(context.CancellationToken);
        // Names only: a column's name says what it holds, never a value of it.
        logger.LogInformation("Dataset {DatasetId}: {Count} sensitive columns now", record.Id, record.Columns.Count(c => c.Sensitive));
        return record.ToProto();

        void Check(IEnumerable<string> requested, string field)
        {
            var i = 0;
            foreach (var name in requested)
            {
                if (!names.Contains(name))
                    throw new InvalidArgumentException($"{field}[{i}]", $"{Echo.Quote(name)} is not a column of data set {Echo.Quote(found.Id)}");
                i++;
            }
        }
    }

    /// <summary>
    /// The first profile asked for with this label: read the data set once more to measure how each column alone
    /// predicts it (<see cref="LabelAnalysisScan"/>), and store the result with the profile for every later request.
    /// </summary>
    private async Task<StoredProfile> AnalyseLabelAsync(DatasetRecord record, StoredProfile stored, string label, CancellationToken cancellationToken)
    {
        var format = Enum.Parse<DatasetFileFormat>(record.Format, ignoreCase: true);
        var started = time.GetTimestamp();
        var (analysis, skipped) = await LabelAnalysisScan.RunAsync(format, stored, label, options.Value.Datasets.ProfileMemoryBytes,
            () => blobs.ReadAsync(record.Sha256, $"dataset {Echo.Quote(record.Id)}", cancellationToken),
            () => blobs.OpenRead(record.Sha256), cancellationToken);
        if (analysis is null)
        {
            logger.LogInformation("Data set {DatasetId}: no label analysis ({Reason})", record.Id, skipped);
            return stored;
        }
        logger.LogInformation("Data set {DatasetId}: label analysis of {Columns} columns in {Seconds:0.000} s",
            record.Id, analysis.Columns.Count, time.GetElapsedTime(started).TotalSeconds);
        var analyses = new Dictionary<string, StoredLabelAnalysis>(stored.LabelAnalyses ?? new Dictionary<string, StoredLabelAnalysis>(), StringComparer.Ordinal)
        {
            [label] = analysis,
        };
        var updated = stored with { LabelAnalyses = analyses };
        var row = await db.DatasetProfiles.SingleOrDefaultAsync(p => p.DatasetId == record.Id, cancellationToken);
        if (row is not null)
        {
            // Last write wins: a concurrent analysis of another label may be lost here, and is then made again when next asked for.
            row.Profile = updated;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear(); // the data set was erased meanwhile
            }
        }
        return updated;
    }

    /// <summary>
    /// A data set stored before profiles were: profile it now from its blob (its stored column types kept, so the
    /// profile agrees with what training was told) and store the result, once.
    /// </summary>
    private async Task<StoredProfile> BackfillProfileAsync(DatasetRecord record, CancellationToken cancellationToken)
    {
        var format = Enum.Parse<DatasetFileFormat>(record.Format, ignoreCase: true);
        // No limits on a stored data set: it was accepted under the limits of its day.
        var scanner = DatasetScanners.For(format, record.Columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal),
            new DatasetLimits { MaxBytes = long.MaxValue, MaxRows = long.MaxValue, MaxColumns = Datasets.Profiling.ProfileBudget.ColumnsCeiling });
        await foreach (var chunk in blobs.ReadAsync(record.Sha256, $"dataset {Echo.Quote(record.Id)}", cancellationToken))
            scanner.Append(chunk.Span);
        var scan = await scanner.CompleteAsync(() => blobs.OpenRead(record.Sha256), cancellationToken);
        try
        {
            db.DatasetProfiles.Add(new DatasetProfileRecord { DatasetId = record.Id, Profile = scan.Profile, ComputedAt = StoreTime.Now(time) });
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A concurrent request stored it first (same bytes, same profile), or the data set was just erased.
            db.ChangeTracker.Clear();
        }
        return scan.Profile;
    }

    private static DatasetFileFormat ParseFormat(DatasetFormat format) => format switch
    {
        // Leaving the format unset means CSV, as it did when CSV was the only format.
        DatasetFormat.Csv or DatasetFormat.Unspecified => DatasetFileFormat.Csv,
        DatasetFormat.Tsv => DatasetFileFormat.Tsv,
        DatasetFormat.Parquet => DatasetFileFormat.Parquet,
        _ => throw new InvalidArgumentException("header.format", $"{format} is not supported (CSV, TSV or PARQUET)"),
    };

    private static Dictionary<string, DatasetColumnType> ParseColumnTypes(IDictionary<string, ColumnType> columnTypes)
    {
        var result = new Dictionary<string, DatasetColumnType>(StringComparer.Ordinal);
        foreach (var (column, type) in columnTypes)
        {
            result[column] = type switch
            {
                ColumnType.Numeric => DatasetColumnType.Numeric,
                ColumnType.Categorical => DatasetColumnType.Categorical,
                ColumnType.Boolean => DatasetColumnType.Boolean,
                ColumnType.Text => DatasetColumnType.Text,
                ColumnType.Date => DatasetColumnType.Date,
                _ => throw new InvalidArgumentException("header.column_types", $"column {Echo.Quote(column)}: {type} is not a column type"),
            };
        }
        return result;
    }

    /// <summary>The tenant's data set by id; another tenant's is reported exactly like one that does not exist.</summary>
    internal static async Task<DatasetRecord> FindAsync(
        ModelStoreDbContext db, string tenantId, string datasetId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(datasetId, out var id))
            throw new InvalidArgumentException("dataset_id", $"{Echo.Quote(datasetId)} is not a data set id");
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
