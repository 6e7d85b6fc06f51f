using System.Buffers;
using Parquet;
using Parquet.Schema;
using Platform.ModelStore.Datasets.Profiling;
using Platform.Contracts;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// Validates and profiles a Parquet upload. Parquet keeps its schema in a footer at the end of the file, so nothing
/// is checked while the bytes stream in; <see cref="CompleteAsync"/> then reads the completed temp file one row group
/// and one column at a time (memory: one column of one row group, plus each column's bounded summaries).
/// </summary>
/// <remarks>
/// Column types come from the schema: integers, floating-point and decimals are NUMERIC, booleans BOOLEAN, dates and
/// timestamps DATE, strings CATEGORICAL or TEXT (by <see cref="ColumnProfiler"/>'s text rule); nulls are missing values.
/// Nested columns (lists, maps, structs) and binary, time-of-day, interval and UUID columns are rejected. A file that
/// the reader cannot decode is rejected as corrupt, naming the row group and column when the failure is in the data.
/// </remarks>
public sealed class ParquetScanner(IReadOnlyDictionary<string, DatasetColumnType>? overrides = null, DatasetLimits? limits = null) : IDatasetScanner
{
    private readonly IReadOnlyDictionary<string, DatasetColumnType> _overrides = overrides ?? new Dictionary<string, DatasetColumnType>();
    private readonly DatasetLimits _limits = limits ?? new DatasetLimits();
    private long _byteCount;

    /// <inheritdoc />
    public void Append(ReadOnlySpan<byte> bytes) => _byteCount += bytes.Length;

    /// <inheritdoc />
    public async Task<DatasetScan> CompleteAsync(Func<Stream> openFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(openFile);
        if (_byteCount == 0) throw new DatasetFormatException("dataset is empty", row: null, line: null);

        await using var stream = openFile();
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Corrupt($"its footer cannot be read ({ex.Message})");
        }

        await using (reader)
        {
            var fields = Columns(reader.Schema, _limits.MaxColumns);
            ProfileAssembler.CheckOverrideNames(fields.Select(f => f.Field.Name), _overrides);
            var totalRows = Enumerable.Range(0, reader.RowGroupCount).Sum(g => reader.RowGroups[g].RowCount);
            if (totalRows > _limits.MaxRows)
                throw new DatasetFormatException(
                    $"dataset has {totalRows} rows, more than a data set may have (ModelStore:Datasets:MaxRows = {_limits.MaxRows})", row: null, line: null);
            var budget = ProfileBudget.For(_limits.ProfileMemoryBytes, Math.Max(1, fields.Count));
            var profilers = fields.Select(f => new ColumnProfiler(f.Field.Name, f.Source, budget)).ToList();

            long rows = 0;
            for (var group = 0; group < reader.RowGroupCount; group++)
            {
                using var rowGroup = reader.OpenRowGroupReader(group);
                var count = checked((int)rowGroup.RowCount);
                for (var i = 0; i < fields.Count; i++)
                {
                    try
                    {
                        await ReadColumnAsync(rowGroup, fields[i].Field, count, profilers[i], cancellationToken);
                    }
                    catch (Exception ex) when (ex is not (OperationCanceledException or DatasetFormatException))
                    {
                        throw Corrupt($"row group {group + 1} (rows {rows + 1} to {rows + count}), column {Echo.Quote(fields[i].Field.Name)} cannot be read ({ex.Message})");
                    }
                }
                rows += count;
            }
            if (fields.Count == 0 || rows == 0)
                throw new DatasetFormatException("dataset has a schema but no data rows", row: null, line: null);
            return ProfileAssembler.Assemble(profilers, rows, _overrides);
        }
    }

    private static DatasetFormatException Corrupt(string detail) =>
        new($"dataset is not a valid Parquet file: {detail}", row: null, line: null);

    internal static List<(DataField Field, ColumnSource Source)> Columns(ParquetSchema schema, int maxColumns)
    {
        if (schema.Fields.Count > maxColumns)
            throw new DatasetFormatException(
                $"the schema has {schema.Fields.Count} columns, more than a data set may have (ModelStore:Datasets:MaxColumns = {maxColumns})",
                row: null, line: null);
        var columns = new List<(DataField, ColumnSource)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var field in schema.Fields)
        {
            number++;
            ColumnNames.Validate(field.Name, number, line: null);
            if (!names.Add(field.Name))
                throw new DatasetFormatException($"the schema: column {number} {Echo.Quote(field.Name)} has the same name as an earlier column", row: null, line: null);
            if (field is not DataField data || data.IsArray || data.MaxRepetitionLevel > 0)
                throw new DatasetFormatException(
                    $"the schema: column {Echo.Quote(field.Name)} is a nested {field.SchemaType.ToString().ToLowerInvariant()} column; only flat columns are supported",
                    row: null, line: null);
            columns.Add((data, SourceOf(data)));
        }
        return columns;
    }

    private static ColumnSource SourceOf(DataField field)
    {
        var type = field.ClrType;
        if (IsString(type)) return ColumnSource.ParquetString;
        if (type == typeof(bool)) return ColumnSource.ParquetBoolean;
        if (type == typeof(DateTime) || type == typeof(DateOnly) || type == typeof(DateTimeOffset)) return ColumnSource.ParquetDate;
        if (type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort)
            || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong)
            || type == typeof(float) || type == typeof(double) || type == typeof(decimal) || type == typeof(Half))
            return ColumnSource.ParquetNumber;
        throw new DatasetFormatException(
            $"the schema: column {Echo.Quote(field.Name)} has the Parquet type {type.Name}, which is not supported " +
            "(numbers, booleans, strings, dates and timestamps are)", row: null, line: null);
    }

    // Parquet.Net describes UTF-8 string columns as ReadOnlyMemory<char> (and reads them as strings on request).
    private static bool IsString(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>);

    internal static Task ReadColumnAsync(ParquetRowGroupReader rowGroup, DataField field, int count, IColumnObserver profiler, CancellationToken ct)
    {
        var type = field.ClrType;
        if (type == typeof(ReadOnlyMemory<char>))
        {
            // Read as character memory, not strings: about twice as fast, and no string per value.
            return ReadAsync<ReadOnlyMemory<char>>(rowGroup, field, count, v =>
            {
                if (v.IsEmpty) profiler.ObserveMissing();
                else profiler.Observe(v.Span, truncated: false, v.Length, line: null);
            }, profiler, ct);
        }
        if (type == typeof(string)) return ReadStringsAsync(rowGroup, field, count, profiler, ct);
        if (type == typeof(bool)) return ReadAsync<bool>(rowGroup, field, count, v => profiler.Observe(v ? "true" : "false", false, v ? 4 : 5, null), profiler, ct);
        if (type == typeof(DateTime)) return ReadAsync<DateTime>(rowGroup, field, count, v => profiler.ObserveDate(v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : v), profiler, ct);
        if (type == typeof(DateOnly)) return ReadAsync<DateOnly>(rowGroup, field, count, v => profiler.ObserveDate(v.ToDateTime(TimeOnly.MinValue)), profiler, ct);
        if (type == typeof(DateTimeOffset)) return ReadAsync<DateTimeOffset>(rowGroup, field, count, v => profiler.ObserveDate(v.UtcDateTime), profiler, ct);
        if (type == typeof(byte)) return ReadAsync<byte>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(sbyte)) return ReadAsync<sbyte>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(short)) return ReadAsync<short>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(ushort)) return ReadAsync<ushort>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(int)) return ReadAsync<int>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(uint)) return ReadAsync<uint>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(long)) return ReadAsync<long>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(ulong)) return ReadAsync<ulong>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(float)) return ReadAsync<float>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(double)) return ReadAsync<double>(rowGroup, field, count, v => profiler.ObserveNumber(v), profiler, ct);
        if (type == typeof(decimal)) return ReadAsync<decimal>(rowGroup, field, count, v => profiler.ObserveNumber((double)v), profiler, ct);
        if (type == typeof(Half)) return ReadAsync<Half>(rowGroup, field, count, v => profiler.ObserveNumber((double)v), profiler, ct);
        throw new InvalidOperationException($"unexpected column type {type}");
    }

    private static async Task ReadAsync<T>(
        ParquetRowGroupReader rowGroup, DataField field, int count, Action<T> observe, IColumnObserver profiler, CancellationToken ct)
        where T : struct
    {
        if (field.IsNullable)
        {
            var buffer = ArrayPool<T?>.Shared.Rent(count);
            try
            {
                await rowGroup.ReadAsync(field, buffer.AsMemory(0, count), null, ct);
                for (var i = 0; i < count; i++)
                {
                    if (buffer[i] is { } value) observe(value);
                    else profiler.ObserveMissing();
                }
            }
            finally
            {
                ArrayPool<T?>.Shared.Return(buffer);
            }
        }
        else
        {
            var buffer = ArrayPool<T>.Shared.Rent(count);
            try
            {
                await rowGroup.ReadAsync(field, buffer.AsMemory(0, count), null, ct);
                for (var i = 0; i < count; i++) observe(buffer[i]);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(buffer);
            }
        }
    }

    private static async Task ReadStringsAsync(ParquetRowGroupReader rowGroup, DataField field, int count, IColumnObserver profiler, CancellationToken ct)
    {
        var buffer = ArrayPool<string?>.Shared.Rent(count);
        try
        {
            await rowGroup.ReadAsync(field, buffer.AsMemory(0, count), null, ct);
            for (var i = 0; i < count; i++)
            {
                var value = buffer[i];
                // A null is missing; so is an empty string, as an empty CSV field is.
                if (string.IsNullOrEmpty(value)) profiler.ObserveMissing();
                else profiler.Observe(value, truncated: false, value.Length, line: null);
            }
        }
        finally
        {
            ArrayPool<string?>.Shared.Return(buffer, clearArray: true);
        }
    }
}
