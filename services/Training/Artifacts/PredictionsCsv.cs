using System.Globalization;
using System.Text;
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
/// (of the positive class), then for a cross-validation <c>fold</c> (1 to k: the fold whose model, which
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

    /// <summary>Writes the rows of each part; returns how many.</summary>
    /// <param name="parts">The scored evaluation rows: one view for a holdout, one per fold for a cross-validation.</param>
    /// <param name="foldOfRow">Cross-validation: the fold of each row in file order, which says which part it comes from; null for a holdout.</param>
    public static long Write(
        IReadOnlyList<IDataView> parts, int[]? foldOfRow, IReadOnlyList<DatasetColumn> columns, TrainingTask task, LabelColumn? label,
        bool withProbability, Stream output, CancellationToken cancellationToken)
    {
        using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        var line = new StringBuilder();
        foreach (var column in columns)
        {
            CsvFormat.AppendField(line, column.Name);
            line.Append(CsvFormat.Separator);
        }
        line.Append(task switch
        {
            TrainingTask.Regression => PredictedValue,
            TrainingTask.Clustering => PredictedCluster,
            _ => PredictedLabel,
        });
        if (withProbability) line.Append(CsvFormat.Separator).Append(Probability);
        if (foldOfRow is not null) line.Append(CsvFormat.Separator).Append(Fold);
        writer.WriteLine(line);

        var readers = parts.Select(part => new PartReader(part, columns, task, label, withProbability)).ToArray();
        try
        {
            long rows = 0;
            void WriteRow(PartReader reader, int? fold)
            {
                if ((++rows & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                line.Clear();
                reader.Append(line);
                if (fold is { } f) line.Append(CsvFormat.Separator).Append((f + 1).ToString(CultureInfo.InvariantCulture));
                writer.WriteLine(line);
            }

            if (foldOfRow is null)
            {
                while (readers[0].MoveNext()) WriteRow(readers[0], null);
                return rows;
            }
            // Each fold's rows come in file order from its own view: interleave them back into file order.
            foreach (var fold in foldOfRow)
            {
                if (!readers[fold].MoveNext())
                    throw new InvalidOperationException($"Fold {fold + 1} has fewer scored rows than the split assigned it.");
                WriteRow(readers[fold], fold);
            }
            return rows;
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>A cursor over one scored view with a writer for each field of a row.</summary>
    private sealed class PartReader : IDisposable
    {
        private readonly DataViewRowCursor _cursor;
        private readonly Action<StringBuilder>[] _fields;

        public PartReader(IDataView scored, IReadOnlyList<DatasetColumn> columns, TrainingTask task, LabelColumn? label, bool withProbability)
        {
            var schema = scored.Schema;
            // A transform that replaces a column hides it and inserts its output right after it, so the
            // first column of a name is always the data set's own.
            var dataColumns = columns.Select(column => schema.First(c => c.Name == column.Name)).ToArray();
            var predictionColumn = schema[task == TrainingTask.Regression ? DefaultColumnNames.Score : DefaultColumnNames.PredictedLabel];
            var needed = dataColumns.Append(predictionColumn).ToList();
            if (withProbability) needed.Add(schema[DefaultColumnNames.Probability]);
            _cursor = scored.GetRowCursor(needed);
            var fields = dataColumns.Select(column => FieldWriter(_cursor, column)).ToList();
            fields.Add(PredictionWriter(_cursor, predictionColumn, task, label));
            if (withProbability) fields.Add(FieldWriter(_cursor, schema[DefaultColumnNames.Probability]));
            _fields = [.. fields];
        }

        public bool MoveNext() => _cursor.MoveNext();

        public void Append(StringBuilder line)
        {
            for (var i = 0; i < _fields.Length; i++)
            {
                if (i > 0) line.Append(CsvFormat.Separator);
                _fields[i](line);
            }
        }

        public void Dispose() => _cursor.Dispose();
    }

    private static Action<StringBuilder> FieldWriter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type == NumberDataViewType.Single)
        {
            var get = cursor.GetGetter<float>(column);
            float value = 0;
            return line => { get(ref value); AppendNumber(line, value); };
        }
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> text = default;
        return line => { getText(ref text); CsvFormat.AppendField(line, text.Span); };
    }

    private static Action<StringBuilder> PredictionWriter(DataViewRowCursor cursor, DataViewSchema.Column column, TrainingTask task, LabelColumn? label)
    {
        switch (task)
        {
            case TrainingTask.BinaryClassification:
                // The model predicts true/false; the file speaks in the label's own values.
                var get = cursor.GetGetter<bool>(column);
                bool positive = false;
                return line => { get(ref positive); CsvFormat.AppendField(line, positive ? label!.Positive : label!.Negative); };
            case TrainingTask.Clustering:
                // The cluster is a key: 1 to k (0 would be "no cluster", which k-means never predicts).
                var getCluster = cursor.GetGetter<uint>(column);
                uint cluster = 0;
                return line => { getCluster(ref cluster); line.Append(cluster.ToString(CultureInfo.InvariantCulture)); };
            default:
                return FieldWriter(cursor, column);
        }
    }

    private static void AppendNumber(StringBuilder line, float value)
    {
        if (!float.IsNaN(value))
            line.Append(value.ToString("R", CultureInfo.InvariantCulture));
    }
}
