using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Contracts;

namespace Platform.Training.Evaluation;

/// <summary>
/// Evaluated rows scored once, with the columns asked for held in memory, readable while they are being scored.
/// <see cref="Fill"/> runs the model over the rows with one cursor on the calling thread (as ML.NET's own evaluation
/// does) and publishes the rows in blocks; a cursor over this view reads the rows already scored and waits for the
/// next block, so the metrics, the predictions file and the model card's rows can be taken on other threads while the
/// model is still scoring. The rows come in the order, and with the values, of one cursor over the scored view, so
/// ML.NET's evaluators give the same metrics to the last digit.
/// </summary>
/// <remarks>
/// Why not ML.NET's cache (<c>ml.Data.Cache</c>): it scores on a filler thread of its own, and a reader that keeps up
/// with it waits on an event of its own for every row, which cost CPU and gained nothing on a 2-core machine
/// (docs/benchmarks.md, flights-3m). Here the scoring thread takes a lock once a block, and a reader waits once a block.
/// </remarks>
public sealed partial class ScoredRows : IDataView
{
    /// <summary>Rows published at a time: readers wake once per block.</summary>
    public const int DefaultBlockRows = 4096;

    // Null for rows read back from a file (Load): they are scored already.
    private readonly IDataView? _scoredView;
    private readonly Column[] _columns;
    private readonly int _count;
    private readonly int _blockRows;
    private readonly object _gate = new();
    private int _published;
    private Exception? _failure;
    private int _filling;

    private ScoredRows(ITransformer model, IDataView rows, bool[] selected, IReadOnlyList<string> keep, int blockRows)
    {
        _blockRows = blockRows;
        _scoredView = model.Transform(new RowSubset(rows, selected));
        _count = selected.Count(s => s);
        var builder = new DataViewSchema.Builder();
        var sources = keep.Select(name => _scoredView.Schema[name]).ToArray();
        foreach (var source in sources)
            builder.AddColumn(source.Name, source.Type, source.Annotations);
        Schema = builder.ToSchema();
        _columns = [.. sources.Select(source => Column.For(source, _count))];
    }

    /// <summary>Prepares the view of <paramref name="rows"/> that <paramref name="selected"/> picks, scored by <paramref name="model"/>; nothing is scored until <see cref="Fill"/>.</summary>
    /// <param name="rows">The rows that <paramref name="selected"/> indexes, in a stable order (a cached view).</param>
    /// <param name="keep">The columns of the scored rows to hold in memory: the only columns of this view.</param>
    /// <param name="blockRows">Rows published to readers at a time.</param>
    public static ScoredRows Prepare(ITransformer model, IDataView rows, bool[] selected, IReadOnlyList<string> keep, int blockRows = DefaultBlockRows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(selected);
        ArgumentNullException.ThrowIfNull(keep);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        return new ScoredRows(model, rows, selected, keep, blockRows);
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => false;

    public long? GetRowCount() => _count;

    /// <summary>
    /// Scores every row on the calling thread, once. Should it fail or be cancelled, readers waiting for rows get the
    /// same exception rather than waiting forever.
    /// </summary>
    public void Fill(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _filling, 1) != 0)
            throw new InvalidOperationException("The rows are already being scored.");
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_scoredView is null) throw new InvalidOperationException("These rows were read from a file; they are scored already.");
            using var cursor = _scoredView.GetRowCursor(_columns.Select(c => _scoredView.Schema[c.Name]));
            foreach (var column in _columns) column.Bind(cursor);
            var row = 0;
            while (cursor.MoveNext())
            {
                if (row == _count)
                    throw new InvalidOperationException("The model scored more rows than were selected.");
                foreach (var column in _columns) column.Capture(row);
                if (++row % _blockRows == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Publish(row);
                }
            }
            if (row != _count)
                throw new InvalidOperationException($"The model scored {row} rows of the {_count} selected.");
            Publish(row);
        }
        catch (Exception exception)
        {
            Fail(exception);
            throw;
        }
    }

    /// <summary>Releases the readers with <paramref name="reason"/>: the rows will not be scored (or not all of them).</summary>
    public void Fail(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (_gate)
        {
            _failure ??= reason;
            Monitor.PulseAll(_gate);
        }
    }

    private void Publish(int rows)
    {
        lock (_gate)
        {
            _published = rows;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until <paramref name="row"/> is scored, or is known not to exist; returns the rows now available.</summary>
    private int WaitFor(int row)
    {
        lock (_gate)
        {
            while (_published <= row && _published < _count && _failure is null)
                Monitor.Wait(_gate);
            if (_published > row || _published == _count)
                return _published;
            throw new InvalidOperationException("The rows could not be scored: " + _failure!.Message, _failure);
        }
    }

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ScoredRows _parent;
        private readonly bool[] _active;
        private int _row = -1;
        private int _available;

        public Cursor(ScoredRows parent, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _parent = parent;
            _active = new bool[parent.Schema.Count];
            foreach (var column in columnsNeeded) _active[column.Index] = true;
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _row;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_row + 1 >= _parent._count)
            {
                _row = _parent._count;
                return false;
            }
            if (_row + 1 >= _available)
                _available = _parent.WaitFor(_row + 1);
            _row++;
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
                throw new InvalidOperationException($"Column {Echo.Quote(column.Name)} was not asked for when the cursor was opened.");
            return _parent._columns[column.Index].Getter<TValue>(() => _row);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_row, 0);
    }

    /// <summary>One kept column's values, one per row.</summary>
    private abstract class Column(string name)
    {
        public string Name { get; } = name;

        /// <summary>The column's type in the scored view.</summary>
        public DataViewType Type { get; private set; } = null!;

        public static Column For(DataViewSchema.Column source, int rows) => For(source.Name, source.Type, rows);

        public static Column For(string name, DataViewType type, int rows)
        {
            var holder = type is VectorDataViewType vector
                ? typeof(Vectors<>).MakeGenericType(vector.ItemType.RawType)
                : type.RawType == typeof(ReadOnlyMemory<char>) ? typeof(Texts) : typeof(Values<>).MakeGenericType(type.RawType);
            var column = (Column)Activator.CreateInstance(holder, name, rows)!;
            column.Type = type;
            return column;
        }

        /// <summary>Takes the scoring cursor's getter for this column.</summary>
        public abstract void Bind(DataViewRowCursor cursor);

        /// <summary>Holds the scoring cursor's current value as row <paramref name="row"/>.</summary>
        public abstract void Capture(int row);

        public abstract ValueGetter<TValue> Getter<TValue>(Func<int> row);

        /// <summary>Writes row <paramref name="row"/>'s value (<see cref="Save"/>).</summary>
        public abstract void Write(BinaryWriter writer, int row);

        /// <summary>Reads row <paramref name="row"/>'s value as <see cref="Write"/> wrote it (<see cref="Load"/>).</summary>
        public abstract void Read(BinaryReader reader, int row);

        protected ValueGetter<TValue> Typed<T, TValue>(ValueGetter<T> getter) =>
            getter as ValueGetter<TValue> ?? throw new InvalidOperationException($"Column {Echo.Quote(Name)} holds {typeof(T).Name}, not {typeof(TValue).Name}.");
    }

    private sealed class Values<T>(string name, int rows) : Column(name)
    {
        private readonly T[] _values = new T[rows];
        private ValueGetter<T>? _source;

        public override void Bind(DataViewRowCursor cursor) => _source = cursor.GetGetter<T>(cursor.Schema[Name]);

        public override void Capture(int row) => _source!(ref _values[row]);

        public override ValueGetter<TValue> Getter<TValue>(Func<int> row) => Typed<T, TValue>((ref T value) => value = _values[row()]);

        public override void Write(BinaryWriter writer, int row) => ScalarFormat<T>.Write(writer, _values[row]);

        public override void Read(BinaryReader reader, int row) => _values[row] = ScalarFormat<T>.Read(reader);
    }

    /// <summary>Text: copied, since a cursor may reuse the memory its values point into.</summary>
    private sealed class Texts(string name, int rows) : Column(name)
    {
        private readonly ReadOnlyMemory<char>[] _values = new ReadOnlyMemory<char>[rows];
        private ValueGetter<ReadOnlyMemory<char>>? _source;
        private ReadOnlyMemory<char> _current;

        public override void Bind(DataViewRowCursor cursor) => _source = cursor.GetGetter<ReadOnlyMemory<char>>(cursor.Schema[Name]);

        public override void Capture(int row)
        {
            _source!(ref _current);
            _values[row] = _current.ToArray();
        }

        public override ValueGetter<TValue> Getter<TValue>(Func<int> row) =>
            Typed<ReadOnlyMemory<char>, TValue>((ref ReadOnlyMemory<char> value) => value = _values[row()]);

        public override void Write(BinaryWriter writer, int row) => writer.Write(_values[row].ToString());

        public override void Read(BinaryReader reader, int row) => _values[row] = reader.ReadString().AsMemory();
    }

    /// <summary>Vectors: copied, since a cursor may reuse the buffers of its values; each reader gets a copy to own.</summary>
    private sealed class Vectors<TItem>(string name, int rows) : Column(name)
    {
        private readonly VBuffer<TItem>[] _values = new VBuffer<TItem>[rows];
        private ValueGetter<VBuffer<TItem>>? _source;
        private VBuffer<TItem> _current;

        public override void Bind(DataViewRowCursor cursor) => _source = cursor.GetGetter<VBuffer<TItem>>(cursor.Schema[Name]);

        public override void Capture(int row)
        {
            _source!(ref _current);
            _current.CopyTo(ref _values[row]);
        }

        public override ValueGetter<TValue> Getter<TValue>(Func<int> row) =>
            Typed<VBuffer<TItem>, TValue>((ref VBuffer<TItem> value) => _values[row()].CopyTo(ref value));

        // Dense, element by element: the values are what the readers see (sparse and dense vectors read alike).
        public override void Write(BinaryWriter writer, int row)
        {
            var values = _values[row];
            writer.Write(values.Length);
            foreach (var value in values.DenseValues()) ScalarFormat<TItem>.Write(writer, value);
        }

        public override void Read(BinaryReader reader, int row)
        {
            var items = new TItem[reader.ReadInt32()];
            for (var i = 0; i < items.Length; i++) items[i] = ScalarFormat<TItem>.Read(reader);
            _values[row] = new VBuffer<TItem>(items.Length, items);
        }
    }
}
