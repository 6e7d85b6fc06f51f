using Platform.ModelStore.Datasets.Profiling;

namespace Platform.ModelStore.Datasets;

/// <summary>How training treats a column: inferred from every value in it, or set by the uploader.</summary>
public enum DatasetColumnType
{
    /// <summary>Every non-missing value parses as a number (invariant culture); also a CSV column with no values at all.</summary>
    Numeric,
    /// <summary>Anything else that is not free text: a category.</summary>
    Categorical,
    /// <summary>Every non-missing value is <c>true</c> or <c>false</c> (any case).</summary>
    Boolean,
    /// <summary>Free text (sentences, documents): see <see cref="Profiling.ColumnProfiler"/> for the rule.</summary>
    Text,
    /// <summary>Every non-missing value is an ISO 8601 date or date-time (or a Parquet date/timestamp).</summary>
    Date,
}

/// <summary>One column of a data set as profiled at upload.</summary>
/// <param name="Name">The column's name from the header row (or the Parquet schema).</param>
/// <param name="Type">The inferred or overridden type.</param>
/// <param name="MissingCount">Rows whose value in this column is empty (or null).</param>
/// <param name="Sensitive">
/// Marked sensitive (personal or confidential data): left out of training unless a job names it, its values never shown
/// in a profile or a model card and never logged (docs/datasets.md, "Sensitive columns").
/// </param>
public sealed record DatasetColumn(string Name, DatasetColumnType Type, long MissingCount, bool Sensitive = false);

/// <summary>What an upload was found to contain: its columns in file order, its number of data rows and its full profile.</summary>
public sealed record DatasetScan(IReadOnlyList<DatasetColumn> Columns, long RowCount, StoredProfile Profile);
