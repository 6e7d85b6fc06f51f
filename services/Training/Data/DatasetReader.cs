using Microsoft.ML;
using Microsoft.ML.Data;
using Platform.Contracts;

namespace Platform.Training.Data;

/// <summary>
/// The one place that turns a data set file into ML.NET rows, whatever its format, and that picks the loader saved
/// inside the model. Every format gives the same schema (numeric columns as <see cref="float"/>, missing = NaN; every
/// other kind as text, missing = empty), so the same data trains the same model from CSV, TSV or Parquet.
/// </summary>
/// <remarks>
/// <para>Dates (<see cref="ColumnKind.Date"/>) are read as ISO-8601 text; the model takes its numbers from that text
/// (<see cref="Preparation.DateParts"/>), so a saved model scores the same text.</para>
/// </remarks>
public static class DatasetReader
{
    /// <summary>
    /// Checks the declared columns against the file (the header of a CSV/TSV, the schema of a Parquet file) and
    /// opens the rows. <c>ModelLoader</c> is the loader to save with the model: it reads CSV (TSV for a TSV data set)
    /// of the data set's layout, so a model trained on Parquet scores CSV with the data set's columns.
    /// </summary>
    /// <exception cref="TrainingDataException">The file does not match the columns or cannot be read; the message names the column or the file.</exception>
    public static (IDataView Rows, TextLoader ModelLoader) Open(MLContext ml, DatasetFile file)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(file);
        switch (file.Format)
        {
            case DatasetFormat.Parquet:
                return (ParquetDataView.Open(file), CsvFormat.CreateLoader(ml, file.Columns));
            case DatasetFormat.Csv or DatasetFormat.Tsv:
                var separator = file.Format == DatasetFormat.Tsv ? CsvFormat.TabSeparator : CsvFormat.Separator;
                var header = CsvFormat.ReadHeader(file.Path, separator);
                if (!header.SequenceEqual(file.Columns.Select(column => column.Name), StringComparer.Ordinal))
                    throw new TrainingDataException(null,
                        $"The file's header ({string.Join(", ", header.Select(h => $"{Echo.Quote(h)}"))}) does not match the data set's columns ({string.Join(", ", file.Columns.Select(c => $"{Echo.Quote(c.Name)}"))}).");
                var loader = CsvFormat.CreateLoader(ml, file.Columns, separator);
                return (loader.Load(file.Path), loader);
            default:
                throw new ArgumentOutOfRangeException(nameof(file), file.Format, "Unknown data set format.");
        }
    }
}
