namespace Platform.ModelStore.Datasets;

/// <summary>How training treats a column, inferred from every value in it.</summary>
public enum DatasetColumnType
{
    /// <summary>Every non-missing value parses as a number (invariant culture); also a column with no values at all.</summary>
    Numeric,
    /// <summary>Anything else: a category.</summary>
    Categorical,
    /// <summary>Every non-missing value is <c>true</c> or <c>false</c> (any case).</summary>
    Boolean,
}

/// <summary>One column of a data set as profiled at upload.</summary>
/// <param name="Name">The column's name from the header row.</param>
/// <param name="Type">The inferred type.</param>
/// <param name="MissingCount">Rows whose value in this column is empty.</param>
public sealed record DatasetColumn(string Name, DatasetColumnType Type, long MissingCount);

/// <summary>What an upload was found to contain: its columns in file order and its number of data rows.</summary>
public sealed record DatasetProfile(IReadOnlyList<DatasetColumn> Columns, long RowCount);
