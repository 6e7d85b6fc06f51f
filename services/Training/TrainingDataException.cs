namespace Platform.Training;

/// <summary>
/// The data cannot train the requested model: the label column is absent or all missing, a
/// classification label has a single class, a regression label is not numeric, and so on.
/// Retrying cannot help, so this is a permanent failure. The message names the column.
/// </summary>
public sealed class TrainingDataException : Exception
{
    public TrainingDataException(string? column, string message)
        : base(Platform.Contracts.Echo.Message(message))
    {
        Column = column;
    }

    /// <summary>The same, with the reader's own error (a corrupt file, for instance) as the inner exception.</summary>
    public TrainingDataException(string? column, string message, Exception innerException)
        : base(Platform.Contracts.Echo.Message(message), innerException)
    {
        Column = column;
    }

    /// <summary>The column at fault, when the problem is about one column.</summary>
    public string? Column { get; }
}
