namespace Platform.ModelStore.Datasets;

/// <summary>An upload is not a valid CSV data set. The message names the row, line and column when there is one.</summary>
public sealed class CsvFormatException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What is wrong and where, for the user.</param>
    /// <param name="row">Data row (from 1, the header not counted), or null for the header or the file as a whole.</param>
    /// <param name="line">Physical line (from 1) where the offending record starts.</param>
    public CsvFormatException(string message, long? row, long line) : base(message)
    {
        Row = row;
        Line = line;
    }

    /// <summary>Data row (from 1, the header not counted), or null for the header or the file as a whole.</summary>
    public long? Row { get; }

    /// <summary>Physical line (from 1) where the offending record starts.</summary>
    public long Line { get; }
}
