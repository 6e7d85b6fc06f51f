using Microsoft.ML;
using Microsoft.ML.Data;

namespace Platform.Training.Evaluation;

/// <summary>
/// Scores evaluated rows once, on every core, and keeps the columns asked for in memory. The rows are cut into
/// consecutive parts; each part is scored by its own cursor on its own thread into its own cache; the result reads
/// the parts one after the other, so it has the rows in the same order, with the same values, as one cursor over
/// every row would give. ML.NET's evaluators then pass over it as they would over one scored view, so the metrics are
/// equal to the last digit however many parts there were.
/// </summary>
/// <remarks>
/// Why: ML.NET scores a view with one cursor on one thread; the model's pass over the evaluated rows is most of an
/// evaluation on a large data set (100 trees over 600,000 rows of flights-3m), and after the fit the other cores are idle.
/// A model is safe to read from several cursors at once (ML.NET's own cursor sets do so).
/// </remarks>
public static class ScoredRows
{
    /// <summary>Fewer rows than this a part are scored on one thread: a thread is not worth it.</summary>
    public const int DefaultRowsPerPart = 50_000;

    /// <param name="rows">The rows that <paramref name="selected"/> indexes, in a stable order (a cached view).</param>
    /// <param name="selected">Which rows of <paramref name="rows"/> to score.</param>
    /// <param name="keep">The columns of the scored rows to hold in memory (those not held are computed again when read).</param>
    /// <param name="rowsPerPart">At least this many rows per part.</param>
    /// <param name="maxParts">At most this many parts (threads); by default as many as the processors.</param>
    public static IDataView Score(
        MLContext ml, ITransformer model, IDataView rows, bool[] selected, IReadOnlyList<string> keep,
        CancellationToken cancellationToken, int rowsPerPart = DefaultRowsPerPart, int? maxParts = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(selected);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerPart, 1);
        var count = selected.LongCount(s => s);
        var parts = (int)Math.Clamp(count / rowsPerPart, 1, Math.Max(1, maxParts ?? Environment.ProcessorCount));
        var scored = Parts(selected, count, parts)
            .Select(part => ml.Data.Cache(model.Transform(new RowSubset(rows, part)), [.. keep]))
            .ToArray();
        Parallel.ForEach(scored, new ParallelOptions { MaxDegreeOfParallelism = parts, CancellationToken = cancellationToken },
            part => Fill(part, keep, cancellationToken));
        return scored.Length == 1 ? scored[0] : new Concatenation(scored);
    }

    /// <summary>The selected rows cut into <paramref name="parts"/> runs of consecutive selected rows, sizes differing by at most one.</summary>
    private static IEnumerable<bool[]> Parts(bool[] selected, long count, int parts)
    {
        if (parts == 1)
        {
            yield return selected;
            yield break;
        }
        var row = 0;
        for (var part = 0; part < parts; part++)
        {
            var size = count / parts + (part < count % parts ? 1 : 0);
            var mask = new bool[selected.Length];
            for (long taken = 0; taken < size; row++)
            {
                if (!selected[row]) continue;
                mask[row] = true;
                taken++;
            }
            yield return mask;
        }
    }

    /// <summary>One pass that makes the cache score its rows and hold the kept columns.</summary>
    private static void Fill(IDataView cached, IReadOnlyList<string> keep, CancellationToken cancellationToken)
    {
        var columns = keep.Select(name => cached.Schema[name]).ToArray();
        using var cursor = cached.GetRowCursor(columns);
        var getters = columns.Select(column => Touch(cursor, column)).ToArray();
        long rows = 0;
        while (cursor.MoveNext())
        {
            if ((++rows & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            foreach (var get in getters) get();
        }
    }

    private static Action Touch(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var method = typeof(ScoredRows).GetMethod(nameof(TouchTyped), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(column.Type.RawType);
        return (Action)method.Invoke(null, [cursor, column])!;
    }

    private static Action TouchTyped<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var get = cursor.GetGetter<T>(column);
        T value = default!;
        return () => get(ref value);
    }

    /// <summary>Views of one schema read one after the other.</summary>
    private sealed class Concatenation(IDataView[] parts) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => parts[0].Schema;

        public long? GetRowCount()
        {
            long total = 0;
            foreach (var part in parts)
            {
                if (part.GetRowCount() is not { } rows) return null;
                total += rows;
            }
            return total;
        }

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(Schema, parts, [.. columnsNeeded.Select(c => c.Index)]);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor : DataViewRowCursor
        {
            private readonly DataViewRowCursor[] _parts;
            private int _current;
            private long _position = -1;

            public Cursor(DataViewSchema schema, IDataView[] parts, int[] columns)
            {
                Schema = schema;
                _parts = [.. parts.Select(part => part.GetRowCursor(columns.Select(index => part.Schema[index])))];
            }

            public override DataViewSchema Schema { get; }

            public override long Position => _position;

            public override long Batch => 0;

            public override bool MoveNext()
            {
                while (_current < _parts.Length)
                {
                    if (_parts[_current].MoveNext())
                    {
                        _position++;
                        return true;
                    }
                    _current++;
                }
                return false;
            }

            public override bool IsColumnActive(DataViewSchema.Column column) => _parts[0].IsColumnActive(_parts[0].Schema[column.Index]);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var getters = _parts.Select(part => part.GetGetter<TValue>(part.Schema[column.Index])).ToArray();
                return (ref TValue value) => getters[_current](ref value);
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() =>
                (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                    foreach (var part in _parts) part.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
