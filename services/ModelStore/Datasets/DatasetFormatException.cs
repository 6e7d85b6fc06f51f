namespace Platform.ModelStore.Datasets;

/// <summary>
/// An upload is not a valid data set. The message is for the user and names the row (data rows count from 1,
/// the header not counted; CSV and TSV also give the file line), the column and the rule that was broken.
/// </summary>
public sealed class DatasetFormatException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What is wrong and where, for the user.</param>
    /// <param name="row">Data row (from 1, the header not counted), or null for the header or the file as a whole.</param>
    /// <param name="line">Physical line (from 1) where the offending record starts; null for Parquet.</param>
    public DatasetFormatException(string message, long? row, long? line) : base(Platform.Contracts.Echo.Message(message))
    {
        Row = row;
        Line = line;
    }

    /// <summary>Data row (from 1, the header not counted), or null for the header or the file as a whole.</summary>
    public long? Row { get; }

    /// <summary>Physical line (from 1) where the offending record starts; null for Parquet.</summary>
    public long? Line { get; }
}
