using System.Globalization;
using Platform.Contracts;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// The one rule for a data set's column names, applied at upload to every format's header or schema: a name is refused
/// (never silently changed, so the names a model reads are exactly the file's) when it is empty or only white space,
/// starts or ends with white space, or holds a control character (a line break, a tab, NUL, …) or an invisible
/// formatting character (zero-width space, bidirectional override, …). Such names broke training later: ML.NET trims
/// them, reports them as missing columns, or the registry refuses them in the model's schema after a full training run.
/// See docs/datasets.md, "Column names".
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
        if (name.IsWhiteSpace())
            throw new DatasetFormatException($"{where} has an empty name", row: null, line: line);
        if (name.Length > MaxLength)
            throw new DatasetFormatException($"{where} has a name longer than {MaxLength} characters", row: null, line: line);
        var text = name.ToString();
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            throw new DatasetFormatException(
                $"{where} {Echo.Quote(text)} starts or ends with white space; rename it {Echo.Quote(text.Trim())} (column names are used exactly as written)",
                row: null, line: line);
        foreach (var c in name)
        {
            var category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format)
                throw new DatasetFormatException(
                    $"{where} {Echo.Quote(text)} holds the {(category == UnicodeCategory.Control ? "control" : "invisible formatting")} character " +
                    $"U+{(int)c:X4}; column names are one line of visible text",
                    row: null, line: line);
        }
        return text;
    }
}
