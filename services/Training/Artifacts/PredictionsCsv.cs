using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Data;
using Platform.Training.Pipeline;

namespace Platform.Training.Artifacts;

/// <summary>
/// Writes the evaluated rows with the model's predictions. Format (UTF-8, no BOM, <c>\n</c> line ends,
/// RFC 4180 quoting): the data set's columns in order under their own names, then
/// <c>predicted_label</c> (classification, in the label's own values), <c>predicted_value</c> (regression)
/// or <c>predicted_cluster</c> (clustering, 1 to k), then for a calibrated binary trainer <c>probability</c>
/// (of the positive class), for multiclass classification <c>probability[&lt;class&gt;]</c> for every class in
/// the label's order (the model's scores, which sum to 1), then for a cross-validation <c>fold</c> (1 to k: the fold whose model, which
/// did not train on the row, predicted it). Rows are in file order. Numbers are written in invariant
/// culture with round-trip precision and missing values as empty fields, so the file loads with the
/// model's own loader (extra trailing columns are ignored).
/// </summary>
internal static class PredictionsCsv
{
    public const string PredictedLabel = "predicted_label";
    public const string PredictedValue = "predicted_value";
    public const string PredictedCluster = "predicted_cluster";
    public const string Probability = "probability";
    public const string Fold = "fold";

    /// <summary>Writes the evaluated rows with their predictions; returns how many.</summary>
    /// <param name="cachedRows">The evaluated rows in file order, as held in memory: the source of <paramref name="cachedColumns"/>.</param>
    /// <param name="cachedColumns">The data set's columns held in memory (those the model reads).</param>
    /// <param name="streamedRows">The same rows read from the file: the source of the other columns, opened only when there are any.</param>
    /// <param name="parts">The scored evaluation rows, each in file order: one view for a holdout, one per fold for a cross-validation.</param>
    /// <param name="foldOfRow">Cross-validation: the fold of each row in file order, which says which part it comes from; null for a holdout.</param>
    public static long Write(
        IDataView cachedRows, IReadOnlySet<string> cachedColumns, IDataView streamedRows, IReadOnlyList<IDataView> parts, int[]? foldOfRow, IReadOnlyList<DatasetColumn> columns, TrainingTask task, LabelColumn? label,
        bool withProbability, Stream output, CancellationToken cancellationToken)
    {
        using var writer = new CsvWriter(output);
        foreach (var column in columns) writer.Field(column.Name);
        writer.Field(task switch
        {
            TrainingTask.Regression => PredictedValue,
            TrainingTask.Clustering => PredictedCluster,
            _ => PredictedLabel,
        });
        if (withProbability) writer.Field(Probability);
        if (task == TrainingTask.MulticlassClassification)
            foreach (var c in label!.Classes) writer.Field(ClassProbability(c));
        if (foldOfRow is not null) writer.Field(Fold);
        writer.EndRow();

        using var data = new DataRows(cachedRows, cachedColumns, streamedRows, columns);
        var predictions = parts.Select(part => PredictionReader(part, task, label, withProbability)).ToArray();
        try
        {
            long count = 0;
            void WriteRow(int part, int? fold)
            {
                if (!predictions[part].MoveNext())
                    throw new InvalidOperationException($"{(fold is null ? "The holdout" : $"Fold {part + 1}")} has fewer scored rows than the split assigned it.");
                if ((++count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                data.Write(writer);
                predictions[part].Write(writer);
                if (fold is { } f) writer.Number(f + 1L);
                writer.EndRow();
            }

            if (foldOfRow is null)
            {
                while (data.MoveNext()) WriteRow(0, null);
            }
            else
            {
                // Each fold's scored rows come in file order from its own view: interleave them back into file order.
                foreach (var fold in foldOfRow)
                {
                    if (!data.MoveNext())
                        throw new InvalidOperationException("The evaluated rows end before the split's folds do.");
                    WriteRow(fold, fold);
                }
            }
            // A scored row left over means the two sides disagree on the rows.
            if (predictions.Any(p => p.MoveNext()))
                throw new InvalidOperationException("There are more scored rows than evaluated rows.");
            return count;
        }
        finally
        {
            foreach (var reader in predictions) reader.Dispose();
        }
    }

    /// <summary>The data set's columns of the evaluated rows, in order, from the cached rows and (for the others) the streamed ones.</summary>
    private sealed class DataRows : IDisposable
    {
        private readonly DataViewRowCursor _cached;
        private readonly DataViewRowCursor? _streamed;
        private readonly Action<CsvWriter>[] _fields;

        public DataRows(IDataView cachedRows, IReadOnlySet<string> cachedColumns, IDataView streamedRows, IReadOnlyList<DatasetColumn> columns)
        {
            bool IsCached(DatasetColumn column) => cachedColumns.Contains(column.Name);
            _cached = cachedRows.GetRowCursor([.. columns.Where(IsCached).Select(c => cachedRows.Schema[c.Name])]);
            if (!columns.All(IsCached))
                _streamed = streamedRows.GetRowCursor([.. columns.Where(c => !IsCached(c)).Select(c => streamedRows.Schema[c.Name])]);
            _fields = [.. columns.Select(c => IsCached(c) ? FieldWriter(_cached, cachedRows.Schema[c.Name]) : FieldWriter(_streamed!, streamedRows.Schema[c.Name]))];
        }

        public bool MoveNext()
        {
            var more = _cached.MoveNext();
            if (_streamed is not null && _streamed.MoveNext() != more)
                throw new InvalidOperationException("The rows read from the file differ in number from the rows held in memory.");
            return more;
        }

        public void Write(CsvWriter writer)
        {
            foreach (var field in _fields) field(writer);
        }

        public void Dispose()
        {
            _cached.Dispose();
            _streamed?.Dispose();
        }
    }

    /// <summary>The header of a multiclass row's probability of <paramref name="className"/>: <c>probability[Adelie]</c>.</summary>
    public static string ClassProbability(string className) => $"{Probability}[{className}]";

    /// <summary>
    /// The prediction fields of a scored view: the prediction, then the probability when asked for, or every class's
    /// (multiclass: the score vector, in the label's key order).
    /// </summary>
    private static RowReader PredictionReader(IDataView scored, TrainingTask task, LabelColumn? label, bool withProbability)
    {
        var schema = scored.Schema;
        var prediction = schema[task == TrainingTask.Regression ? DefaultColumnNames.Score : DefaultColumnNames.PredictedLabel];
        DataViewSchema.Column[] columns = withProbability ? [prediction, schema[DefaultColumnNames.Probability]]
            : task == TrainingTask.MulticlassClassification ? [prediction, schema[DefaultColumnNames.Score]]
            : [prediction];
        return new RowReader(scored, columns,
            (cursor, column) => column.Index == prediction.Index ? PredictionWriter(cursor, column, task, label)
                : column.Type is VectorDataViewType ? VectorWriter(cursor, column)
                : FieldWriter(cursor, column));
    }

    /// <summary>Every element of a float vector as a field of its own.</summary>
    private static Action<CsvWriter> VectorWriter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var get = cursor.GetGetter<VBuffer<float>>(column);
        var values = default(VBuffer<float>);
        return writer =>
        {
            get(ref values);
            foreach (var value in values.DenseValues()) writer.Number(value);
        };
    }

    /// <summary>A cursor over some columns of a view with a writer for each of its fields, separated by commas.</summary>
    private sealed class RowReader : IDisposable
    {
        private readonly DataViewRowCursor _cursor;
        private readonly Action<CsvWriter>[] _fields;

        public RowReader(IDataView view, DataViewSchema.Column[] columns, Func<DataViewRowCursor, DataViewSchema.Column, Action<CsvWriter>>? writer = null)
        {
            _cursor = view.GetRowCursor(columns);
            _fields = [.. columns.Select(column => (writer ?? FieldWriter)(_cursor, column))];
        }

        public bool MoveNext() => _cursor.MoveNext();

        public void Write(CsvWriter writer)
        {
            foreach (var field in _fields) field(writer);
        }

        public void Dispose() => _cursor.Dispose();
    }

    private static Action<CsvWriter> FieldWriter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type == NumberDataViewType.Single)
        {
            var get = cursor.GetGetter<float>(column);
            float value = 0;
            return writer => { get(ref value); writer.Number(value); };
        }
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> text = default;
        return writer => { getText(ref text); writer.Field(text.Span); };
    }

    private static Action<CsvWriter> PredictionWriter(DataViewRowCursor cursor, DataViewSchema.Column column, TrainingTask task, LabelColumn? label)
    {
        switch (task)
        {
            case TrainingTask.BinaryClassification:
                // The model predicts true/false; the file speaks in the label's own values.
                var get = cursor.GetGetter<bool>(column);
                bool positive = false;
                return writer => { get(ref positive); writer.Field(positive ? label!.Positive : label!.Negative); };
            case TrainingTask.Clustering:
                // The cluster is a key: 1 to k (0 would be "no cluster", which k-means never predicts).
                var getCluster = cursor.GetGetter<uint>(column);
                uint cluster = 0;
                return writer => { getCluster(ref cluster); writer.Number(cluster); };
            default:
                return FieldWriter(cursor, column);
        }
    }
}
