using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Parquet;
using Parquet.Schema;
using Platform.Contracts;

namespace Platform.Training.Data;

/// <summary>
/// A Parquet file as ML.NET rows, streamed: every cursor opens the file and decodes one row group at a time
/// (only the columns the cursor needs), so memory holds one row group, never the file. The rows have the
/// same schema as the CSV loader gives the same data set: numeric columns as <see cref="float"/> (null = NaN),
/// every other kind as text (null = empty), so a model cannot tell which format it was trained on.
/// </summary>
/// <remarks>
/// <para>Parquet types read: booleans, integers of every width, float, double, decimal, UTF-8 strings, dates and
/// timestamps. A numeric column takes numbers (booleans as 1 and 0) or strings holding numbers; a text-like
/// column takes anything above, written as invariant text (dates as ISO-8601, <c>yyyy-MM-dd</c> or
/// <c>yyyy-MM-ddTHH:mm:ss[.fffffff]</c>). Nested columns (lists, maps, structs), raw binary and times of day
/// are refused with a message that names the column.</para>
/// <para>Why a cursor and not a conversion to ML.NET's binary format: the training run caches the rows it uses
/// in memory anyway (every trainer passes over them several times), so the file is decoded straight into that
/// cache in one pass, with no extra copy on disk.</para>
/// </remarks>
public sealed class ParquetDataView : IDataView
{
    /// <summary>Repeated text values (categories) share one string up to this many distinct values per column.</summary>
    private const int PooledValues = 1 << 16;

    private readonly DatasetFile _file;
    private readonly DataField[] _fields;
    private readonly long _rows;

    private ParquetDataView(DatasetFile file, DataField[] fields, long rows)
    {
        _file = file;
        _fields = fields;
        _rows = rows;
        var builder = new DataViewSchema.Builder();
        foreach (var column in file.Columns)
            builder.AddColumn(column.Name, column.Kind == ColumnKind.Numeric ? NumberDataViewType.Single : TextDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    /// <summary>Opens <paramref name="file"/> and checks its schema against the data set's columns.</summary>
    /// <exception cref="TrainingDataException">The file is not readable Parquet, its columns differ from the data set's, or a column's type cannot be read as its kind.</exception>
    public static ParquetDataView Open(DatasetFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = File.OpenRead(file.Path);
        var reader = OpenReader(file, stream);
        try
        {
            var fields = reader.Schema.Fields;
            var names = fields.Select(f => f.Name).ToArray();
            if (!names.SequenceEqual(file.Columns.Select(c => c.Name), StringComparer.Ordinal))
                throw new TrainingDataException(null,
                    $"The columns of {Echo.Quote(file.FileName)} ({string.Join(", ", names.Select(n => $"{Echo.Quote(n)}"))}) do not match the data set's columns ({string.Join(", ", file.Columns.Select(c => $"{Echo.Quote(c.Name)}"))}).");
            var dataFields = new DataField[fields.Count];
            for (var i = 0; i < fields.Count; i++)
            {
                var column = file.Columns[i];
                if (fields[i] is not DataField { IsArray: false } field)
                    throw Unsupported(file, column, $"a nested {fields[i].SchemaType.ToString().ToLowerInvariant()} column");
                // Fails now, not halfway through the file, for a type this reader cannot turn into the column's kind.
                _ = ColumnDecoder.For(file, column, field);
                dataFields[i] = field;
            }
            return new ParquetDataView(file, dataFields, reader.RowGroups.Sum(g => g.RowCount));
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <inheritdoc/>
    public bool CanShuffle => false;

    /// <inheritdoc/>
    public DataViewSchema Schema { get; }

    /// <inheritdoc/>
    public long? GetRowCount() => _rows;

    /// <inheritdoc/>
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, [.. columnsNeeded.Select(c => c.Index)]);

    /// <inheritdoc/>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private static ParquetReader OpenReader(DatasetFile file, Stream stream)
    {
        try
        {
            return ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new TrainingDataException(null, $"{Echo.Quote(file.FileName)} is not a readable Parquet file: {exception.Message}", exception);
        }
    }

    private static TrainingDataException Unsupported(DatasetFile file, DatasetColumn column, string what) =>
        new(column.Name, $"Column {Echo.Quote(column.Name)} of {Echo.Quote(file.FileName)} is {what}, which cannot be read as a {column.Kind.ToString().ToLowerInvariant()} column; " +
            "supported Parquet types are booleans, integers, float, double, decimal, strings, dates and timestamps.");

    /// <summary>Reads one column of a row group into the values a cursor serves.</summary>
    private sealed class ColumnDecoder
    {
        private Func<ParquetRowGroupReader, int, float[]>? _numbers;
        private Func<ParquetRowGroupReader, int, TextValues>? _texts;
        private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);

        public static ColumnDecoder For(DatasetFile file, DatasetColumn column, DataField field)
        {
            var decoder = new ColumnDecoder();
            var type = field.ClrType;
            var numeric = column.Kind == ColumnKind.Numeric;
            if (column.Kind == ColumnKind.Date && !(type == typeof(DateTime) || type == typeof(DateOnly) || IsString(type)))
                throw Unsupported(file, column, $"of Parquet type {Describe(type)}");
            if (IsString(type))
            {
                if (numeric) decoder._numbers = (group, rows) => ParseNumbers(file, column, Strings(group, field, rows));
                else decoder._texts = (group, rows) => decoder.Pooled(Strings(group, field, rows));
            }
            else if (type == typeof(float)) decoder.Use<float>(field, numeric, v => v, v => v.ToString("R", CultureInfo.InvariantCulture));
            else if (type == typeof(double)) decoder.Use<double>(field, numeric, v => (float)v, v => v.ToString("R", CultureInfo.InvariantCulture));
            else if (type == typeof(decimal)) decoder.Use<decimal>(field, numeric, v => (float)v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(long)) decoder.Use<long>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(int)) decoder.Use<int>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(short)) decoder.Use<short>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(sbyte)) decoder.Use<sbyte>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(ulong)) decoder.Use<ulong>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(uint)) decoder.Use<uint>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(ushort)) decoder.Use<ushort>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(byte)) decoder.Use<byte>(field, numeric, v => v, v => v.ToString(CultureInfo.InvariantCulture));
            else if (type == typeof(bool)) decoder.Use<bool>(field, numeric, v => v ? 1 : 0, v => v ? "true" : "false");
            else if (type == typeof(DateTime) && !numeric)
                decoder.Use<DateTime>(field, false, _ => 0, v => v.ToString(v.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
            else if (type == typeof(DateOnly) && !numeric)
                decoder.Use<DateOnly>(field, false, _ => 0, v => v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            else
                throw Unsupported(file, column, $"of Parquet type {Describe(type)}");
            return decoder;
        }

        public float[] ReadNumbers(ParquetRowGroupReader group, int rows) => _numbers!(group, rows);

        public TextValues ReadTexts(ParquetRowGroupReader group, int rows) => _texts!(group, rows);

        /// <summary>Strings as read, one string per distinct value.</summary>
        private TextValues Pooled(string?[] values)
        {
            var result = new ReadOnlyMemory<char>[values.Length];
            for (var i = 0; i < values.Length; i++)
                if (values[i] is { Length: > 0 } value) result[i] = Pool(value).AsMemory();
            return new TextValues(row => result[row]);
        }

        // Categories repeat: keep one string per value rather than one per row in the training cache.
        private string Pool(string value)
        {
            if (_pool.TryGetValue(value, out var pooled)) return pooled;
            if (_pool.Count < PooledValues) _pool.Add(value, value);
            return value;
        }

        private void Use<T>(DataField field, bool numeric, Func<T, float> toNumber, Func<T, string> toText) where T : struct
        {
            if (numeric)
            {
                _numbers = (group, rows) =>
                {
                    var values = Values<T>(group, field, rows);
                    var result = new float[rows];
                    for (var i = 0; i < rows; i++) result[i] = values[i] is { } v ? toNumber(v) : float.NaN;
                    return result;
                };
            }
            else
            {
                // Written as text only for the rows read: a cursor that skips rows (the predictions file reads the
                // evaluated rows' dates) does not format the others.
                _texts = (group, rows) =>
                {
                    var values = Values<T>(group, field, rows);
                    return new TextValues(row => values[row] is { } v ? Pool(toText(v)).AsMemory() : default);
                };
            }
        }

        private static T?[] Values<T>(ParquetRowGroupReader group, DataField field, int rows) where T : struct
        {
            var values = new T?[rows];
            if (field.IsNullable)
            {
                group.ReadAsync<T>(field, values.AsMemory(), null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                return values;
            }
            var plain = new T[rows];
            group.ReadAsync<T>(field, plain.AsMemory(), null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            for (var i = 0; i < rows; i++) values[i] = plain[i];
            return values;
        }

        private static string?[] Strings(ParquetRowGroupReader group, DataField field, int rows)
        {
            var values = new string?[rows];
            group.ReadAsync(field, values.AsMemory()!, null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return values;
        }

        private static float[] ParseNumbers(DatasetFile file, DatasetColumn column, string?[] values)
        {
            var result = new float[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                if (string.IsNullOrEmpty(values[i])) result[i] = float.NaN;
                else if (!float.TryParse(values[i], NumberStyles.Float, CultureInfo.InvariantCulture, out result[i]))
                    throw new TrainingDataException(column.Name, $"Column {Echo.Quote(column.Name)} of {Echo.Quote(file.FileName)} is numeric, but holds {Echo.Quote(values[i])}, which is not a number.");
            }
            return result;
        }

        private static string Describe(Type type) =>
            type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>) ? "binary (a byte array that is not UTF-8 text)"
            : type == typeof(TimeSpan) || type == typeof(TimeOnly) ? "time of day"
            : type.Name;

        private static bool IsString(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>);
    }

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ParquetDataView _view;
        private readonly Stream _stream;
        private readonly ParquetReader _reader;
        private readonly ColumnDecoder?[] _decoders;
        private readonly float[]?[] _numbers;
        private readonly TextValues?[] _texts;
        private int _group = -1;
        private int _groupRows;
        private int _index = -1;
        private long _position = -1;
        private bool _disposed;

        public Cursor(ParquetDataView view, HashSet<int> active)
        {
            _view = view;
            var columns = view._file.Columns;
            _decoders = new ColumnDecoder?[columns.Count];
            _numbers = new float[]?[columns.Count];
            _texts = new TextValues?[columns.Count];
            for (var i = 0; i < columns.Count; i++)
                if (active.Contains(i)) _decoders[i] = ColumnDecoder.For(view._file, columns[i], view._fields[i]);
            _stream = File.OpenRead(view._file.Path);
            try
            {
                _reader = OpenReader(view._file, _stream);
            }
            catch
            {
                _stream.Dispose();
                throw;
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _decoders[column.Index] is not null;

        public override bool MoveNext()
        {
            if (_disposed) return false;
            while (++_index >= _groupRows)
            {
                if (++_group >= _reader.RowGroupCount) return false;
                ReadGroup();
                _index = -1;
            }
            _position++;
            return true;
        }

        private void ReadGroup()
        {
            var file = _view._file;
            using var group = _reader.OpenRowGroupReader(_group);
            _groupRows = checked((int)group.RowCount);
            for (var i = 0; i < _decoders.Length; i++)
            {
                if (_decoders[i] is not { } decoder) continue;
                var column = file.Columns[i];
                try
                {
                    if (column.Kind == ColumnKind.Numeric) _numbers[i] = decoder.ReadNumbers(group, _groupRows);
                    else _texts[i] = decoder.ReadTexts(group, _groupRows);
                }
                catch (Exception exception) when (exception is not (TrainingDataException or OperationCanceledException))
                {
                    throw new TrainingDataException(column.Name,
                        $"Column {Echo.Quote(column.Name)} of {Echo.Quote(file.FileName)} cannot be read in row group {_group + 1} of {_reader.RowGroupCount}: {exception.Message}", exception);
                }
            }
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (_decoders[column.Index] is null)
                throw new InvalidOperationException($"Column {Echo.Quote(column.Name)} was not requested from this cursor.");
            var index = column.Index;
            if (_view._file.Columns[index].Kind == ColumnKind.Numeric)
            {
                ValueGetter<float> number = (ref float value) => value = _numbers[index]![_index];
                return number as ValueGetter<TValue> ?? throw Mismatch<TValue>(column);
            }
            ValueGetter<ReadOnlyMemory<char>> text = (ref ReadOnlyMemory<char> value) => value = _texts[index]!.Value(_index);
            return text as ValueGetter<TValue> ?? throw Mismatch<TValue>(column);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        private static InvalidOperationException Mismatch<TValue>(DataViewSchema.Column column) =>
            new($"Column {Echo.Quote(column.Name)} is {column.Type}, not {typeof(TValue).Name}.");

        protected override void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            if (disposing)
            {
                _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
                _stream.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>A text column of one row group: the value of a row (empty when missing), made when asked for.</summary>
    private sealed class TextValues(Func<int, ReadOnlyMemory<char>> value)
    {
        public ReadOnlyMemory<char> Value(int row) => value(row);
    }
}
