namespace Platform.ModelStore.Datasets;

/// <summary>
/// Validates and profiles one upload, one implementation per file format. The upload calls <see cref="Append"/> with
/// each chunk as it streams to the temp blob, then <see cref="CompleteAsync"/> once the whole file is on disk: a
/// streaming format (CSV, TSV) does all its work as the bytes pass; a format that needs random access (Parquet keeps
/// its schema at the end) reads the completed temp file there.
/// </summary>
public interface IDatasetScanner
{
    /// <summary>The next bytes of the file, in order.</summary>
    /// <exception cref="DatasetFormatException">The bytes so far cannot be a valid data set.</exception>
    void Append(ReadOnlySpan<byte> bytes);

    /// <summary>Ends the file: its columns, row count and profile.</summary>
    /// <param name="openFile">Opens the complete file for reading (the caller disposes nothing: the scanner does).</param>
    /// <param name="cancellationToken">Stops a long read.</param>
    /// <exception cref="DatasetFormatException">The file is not a valid data set, or an override contradicts it.</exception>
    Task<DatasetScan> CompleteAsync(Func<Stream> openFile, CancellationToken cancellationToken);
}

/// <summary>The file formats a data set can be uploaded in; the stored record keeps the lower-case name.</summary>
public enum DatasetFileFormat
{
    Csv,
    Tsv,
    Parquet,
}

/// <summary>Picks the scanner for a format.</summary>
public static class DatasetScanners
{
    /// <summary>A fresh scanner for one upload, within <paramref name="limits"/> (the defaults when null).</summary>
    public static IDatasetScanner For(
        DatasetFileFormat format, IReadOnlyDictionary<string, DatasetColumnType> overrides, DatasetLimits? limits = null) => format switch
    {
        DatasetFileFormat.Csv => DelimitedTextScanner.Csv(overrides, limits),
        DatasetFileFormat.Tsv => DelimitedTextScanner.Tsv(overrides, limits),
        DatasetFileFormat.Parquet => new ParquetScanner(overrides, limits),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
