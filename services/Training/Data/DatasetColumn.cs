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
}

/// <summary>One column of a data set, in file order.</summary>
public sealed record DatasetColumn(string Name, ColumnKind Kind);

/// <summary>
/// A data set on local disk: an RFC 4180 CSV file (comma separated, header row, <c>"</c> quoting,
/// empty field = missing) and its columns in file order.
/// </summary>
public sealed record CsvDataset(string Path, IReadOnlyList<DatasetColumn> Columns);
