using System.Globalization;

namespace Platform.Contracts;

/// <summary>
/// The one rule for a data set's column names, shared by the model store (which refuses such names at upload, for
/// every format) and training (which refuses a data set stored before the rule, as a permanent data error instead of
/// an ML.NET failure retried as transient): a name is not empty or only white space, does not start or end with white
/// space, and holds no control character (line break, tab, NUL, …) or invisible formatting character (zero-width
/// space, bidirectional override, …). Names are never changed, so a model reads exactly the file's names. See
/// docs/datasets.md, "Column names".
/// </summary>
public static class ColumnNameRule
{
    /// <summary>What is wrong with <paramref name="name"/>, as the end of a sentence about it; null when it keeps the rule.</summary>
    public static string? Problem(ReadOnlySpan<char> name)
    {
        if (name.IsWhiteSpace()) return "is empty";
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            return $"starts or ends with white space; rename it {Echo.Quote(name.Trim().ToString())} (column names are used exactly as written)";
        foreach (var c in name)
        {
            var category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format)
                return $"holds the {(category == UnicodeCategory.Control ? "control" : "invisible formatting")} character " +
                       $"U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}; column names are one line of visible text";
        }
        return null;
    }
}
