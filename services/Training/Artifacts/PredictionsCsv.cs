using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Training.Data;
using Platform.Training.Pipeline;

namespace Platform.Training.Artifacts;

/// <summary>
/// Writes the holdout rows with the model's predictions. Format (UTF-8, no BOM, <c>\n</c> line ends,
/// RFC 4180 quoting): the data set's columns in order under their own names, then
/// <c>predicted_label</c> (classification) or <c>predicted_value</c> (regression), then for a
/// calibrated binary trainer <c>probability</c> (of the positive class). Numbers are written in
/// invariant culture with round-trip precision and missing values as empty fields, so the file
/// loads with the model's own loader (extra trailing columns are ignored) and re-scoring it gives
/// exactly the predictions it holds.
/// </summary>
internal static class PredictionsCsv
{
    public const string PredictedLabel = "predicted_label";
    public const string PredictedValue = "predicted_value";
    public const string Probability = "probability";

    /// <summary>Writes every row of <paramref name="scored"/>; returns how many.</summary>
    public static long Write(
        IDataView scored, IReadOnlyList<DatasetColumn> columns, TrainingTask task, LabelColumn label, bool withProbability,
        Stream output, CancellationToken cancellationToken)
    {
        var schema = scored.Schema;
        // A transform that replaces a column hides it and inserts its output right after it, so the
        // first column of a name is always the data set's own.
        var dataColumns = columns.Select(column => schema.First(c => c.Name == column.Name)).ToArray();
        var predictionColumn = schema[task == TrainingTask.Regression ? DefaultColumnNames.Score : DefaultColumnNames.PredictedLabel];
        var probabilityColumn = withProbability ? schema[DefaultColumnNames.Probability] : (DataViewSchema.Column?)null;
        var needed = dataColumns.Append(predictionColumn);
        if (probabilityColumn is { } p) needed = needed.Append(p);

        using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        var line = new StringBuilder();
        for (var i = 0; i < columns.Count; i++)
        {
            CsvFormat.AppendField(line, columns[i].Name);
            line.Append(CsvFormat.Separator);
        }
        line.Append(task == TrainingTask.Regression ? PredictedValue : PredictedLabel);
        if (withProbability) line.Append(CsvFormat.Separator).Append(Probability);
        writer.WriteLine(line);

        using var cursor = scored.GetRowCursor(needed);
        var fields = dataColumns.Select(column => FieldWriter(cursor, column)).ToArray();
        var prediction = PredictionWriter(cursor, predictionColumn, task, label);
        var probability = probabilityColumn is { } column ? FieldWriter(cursor, column) : null;
        long rows = 0;
        while (cursor.MoveNext())
        {
            if ((++rows & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            line.Clear();
            foreach (var field in fields)
            {
                field(line);
                line.Append(CsvFormat.Separator);
            }
            prediction(line);
            if (probability is not null)
            {
                line.Append(CsvFormat.Separator);
                probability(line);
            }
            writer.WriteLine(line);
        }
        return rows;
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

    private static Action<StringBuilder> PredictionWriter(DataViewRowCursor cursor, DataViewSchema.Column column, TrainingTask task, LabelColumn label)
    {
        if (task != TrainingTask.BinaryClassification)
            return FieldWriter(cursor, column);
        // The model predicts true/false; the file speaks in the label's own values.
        var get = cursor.GetGetter<bool>(column);
        bool positive = false;
        return line => { get(ref positive); CsvFormat.AppendField(line, positive ? label.Positive : label.Negative); };
    }

    private static void AppendNumber(StringBuilder line, float value)
    {
        if (!float.IsNaN(value))
            line.Append(value.ToString("R", CultureInfo.InvariantCulture));
    }
}
