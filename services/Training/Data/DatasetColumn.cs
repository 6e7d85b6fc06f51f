namespace Platform.Training.Data;

/// <summary>How a column is read, as the model store profiled it (or as the user overrode it).</summary>
public enum ColumnKind
{
    /// <summary>Every non-missing value is a number: read as <see cref="float"/>, missing as NaN.</summary>
    Numeric,
    /// <summary>A value from a set of categories: read as text, missing as the empty string.</summary>
    Categorical,
    /// <summary>Every non-missing value is true or false: read as text (so a missing value stays missing).</summary>
    Boolean,
    /// <summary>Free text (sentences, documents): read as text and featurised as words and character n-grams.</summary>
    Text,
    /// <summary>
    /// A date or timestamp (ISO-8601 text in CSV/TSV, a date or timestamp in Parquet): read as ISO-8601 text; as a
    /// feature it becomes numbers (year, month, … : <see cref="Preparation.DateParts"/>).
    /// </summary>
    Date,
}

/// <summary>One column of a data set, in file order.</summary>
/// <param name="Name">As in the file.</param>
/// <param name="Kind">How it is read.</param>
/// <param name="Sensitive">
/// Marked sensitive on the data set: not a feature unless the job opts in (<c>DataPreparation.UseSensitiveColumns</c>),
/// and its values never appear in a message, a log or the model card.
/// </param>
public sealed record DatasetColumn(string Name, ColumnKind Kind, bool Sensitive = false);

/// <summary>How a data set's file is laid out.</summary>
public enum DatasetFormat
{
    /// <summary>RFC 4180: comma separated, header row, <c>"</c> quoting, empty field = missing.</summary>
    Csv,
    /// <summary>Tab separated, header row, no quoting, empty field = missing.</summary>
    Tsv,
    /// <summary>Apache Parquet: one flat column per data set column, null = missing; read row group by row group.</summary>
    Parquet,
}

/// <summary>A data set on local disk: the file, its columns in file order, and its format.</summary>
public sealed record DatasetFile(string Path, IReadOnlyList<DatasetColumn> Columns, DatasetFormat Format)
{
    /// <summary>What messages call the file: the data set's name where the caller knows it, else the file name.</summary>
    public string FileName { get; init; } = System.IO.Path.GetFileName(Path);
}

/// <summary>
/// A data set on local disk: an RFC 4180 CSV file (comma separated, header row, <c>"</c> quoting,
/// empty field = missing) and its columns in file order.
/// </summary>
public sealed record CsvDataset(string Path, IReadOnlyList<DatasetColumn> Columns)
{
    /// <summary>A CSV data set is a <see cref="DatasetFile"/> in <see cref="DatasetFormat.Csv"/>.</summary>
    public static implicit operator DatasetFile(CsvDataset csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        return new DatasetFile(csv.Path, csv.Columns, DatasetFormat.Csv);
    }
}
