using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Contracts;

namespace Platform.Training.Evaluation;

/// <summary>
/// The rows of <paramref name="source"/> whose position is selected, in order. The source must yield its
/// rows in the same order on every cursor (a cached view does), since rows are picked by position.
/// It does not shuffle; cache it where a trainer wants to.
/// </summary>
public sealed class RowSubset(IDataView source, bool[] selected) : IDataView
{
    private readonly long _count = selected.LongCount(s => s);

    public bool CanShuffle => false;

    public DataViewSchema Schema => source.Schema;

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(source.GetRowCursor(columnsNeeded), selected);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor inner, bool[] selected) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => inner.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            while (inner.MoveNext())
            {
                if (!selected[inner.Position]) continue;
                _position++;
                return true;
            }
            return false;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>
/// A view with the values of one column permuted among its rows: row i shows the value of row
/// <c>permutation[i]</c> (taken from <paramref name="values"/>, the column as read once, in row order);
/// the other columns pass through from <paramref name="source"/>.
/// </summary>
internal sealed class PermutedColumn<T>(IDataView source, DataViewSchema.Column column, T[] values, int[] permutation) : IDataView
{
    /// <summary>The values of <paramref name="column"/>, in row order.</summary>
    public static T[] Read(IDataView source, DataViewSchema.Column column)
    {
        var values = new List<T>();
        using var cursor = source.GetRowCursor([column]);
        var get = cursor.GetGetter<T>(column);
        T value = default!;
        while (cursor.MoveNext())
        {
            get(ref value);
            values.Add(value);
        }
        return [.. values];
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema => source.Schema;

    public long? GetRowCount() => values.Length;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(source.GetRowCursor(columnsNeeded), column, values, permutation);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor inner, DataViewSchema.Column permuted, T[] values, int[] permutation) : DataViewRowCursor
    {
        public override DataViewSchema Schema => inner.Schema;

        public override long Position => inner.Position;

        public override long Batch => 0;

        public override bool MoveNext() => inner.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != permuted.Index)
                return inner.GetGetter<TValue>(column);
            if (values is not TValue[] typed)
                throw new InvalidOperationException($"Column {Echo.Quote(column.Name)} holds {typeof(T).Name}, not {typeof(TValue).Name}.");
            return (ref TValue value) => value = typed[permutation[inner.Position]];
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
