using Platform.Contracts;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// Column names at upload: the platform's rule (<see cref="ColumnNameRule"/>) and a length limit, checked on every
/// format's header or schema before any row is read. A name that breaks them refuses the upload.
/// </summary>
public static class ColumnNames
{
    /// <summary>Longest column name, in characters.</summary>
    public const int MaxLength = 1_000;

    /// <summary>The name, checked; <paramref name="number"/> (from 1) and <paramref name="line"/> say where it is in the file.</summary>
    /// <exception cref="DatasetFormatException">The name breaks the rule; the message says which part and what to do.</exception>
    public static string Validate(ReadOnlySpan<char> name, int number, long? line)
    {
        var where = line is { } l ? $"the header (line {l}): column {number}" : $"the schema: column {number}";
        if (name.Length > MaxLength)
            throw new DatasetFormatException($"{where} has a name longer than {MaxLength} characters", row: null, line: line);
        var text = name.ToString();
        if (ColumnNameRule.Problem(name) is { } problem)
            throw new DatasetFormatException(
                name.IsWhiteSpace() ? $"{where} has an empty name" : $"{where} {Echo.Quote(text)} {problem}", row: null, line: line);
        return text;
    }
}
