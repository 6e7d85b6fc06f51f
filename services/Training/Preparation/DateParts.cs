namespace Platform.Training.Preparation;

/// <summary>A number taken from a date column; each becomes a feature column named <c>&lt;column&gt;.&lt;part&gt;</c>.</summary>
public enum DatePart
{
    /// <summary>The year, for example 2024; wire name <c>year</c>.</summary>
    Year,
    /// <summary>1 to 12; wire name <c>month</c>.</summary>
    Month,
    /// <summary>Day of the month, 1 to 31; wire name <c>day</c>.</summary>
    Day,
    /// <summary>0 = Sunday to 6 = Saturday (as .NET's <see cref="DayOfWeek"/>); wire name <c>day_of_week</c>.</summary>
    DayOfWeek,
    /// <summary>1 to 366; wire name <c>day_of_year</c>.</summary>
    DayOfYear,
    /// <summary>0 to 23, as written (no time zone conversion); 0 for a value without a time; wire name <c>hour</c>.</summary>
    Hour,
}

/// <summary>
/// Turns a date column into numbers the trainer can use, inside the saved model: ML.NET has no date-part transform,
/// and a custom one would make the model unloadable without the platform's assembly, so each part is an ML.NET
/// expression over the date's ISO-8601 text (<c>yyyy-MM-dd</c>, optionally <c>THH:mm…</c> or <c> HH:mm…</c>), saved as
/// its text. A value shorter than a date (missing) gives NaN parts, filled like a missing number.
/// </summary>
public static class DateParts
{
    /// <summary>The parts a date column gets when the job does not choose (hour only where the training rows hold a time).</summary>
    public static readonly IReadOnlyList<DatePart> Default = [DatePart.Year, DatePart.Month, DatePart.Day, DatePart.DayOfWeek, DatePart.DayOfYear];

    private static readonly (DatePart Part, string Name)[] Names =
    [
        (DatePart.Year, "year"), (DatePart.Month, "month"), (DatePart.Day, "day"),
        (DatePart.DayOfWeek, "day_of_week"), (DatePart.DayOfYear, "day_of_year"), (DatePart.Hour, "hour"),
    ];

    /// <summary>The part's wire name (<c>day_of_week</c>).</summary>
    public static string ToWireName(this DatePart part) => Names.Single(n => n.Part == part).Name;

    /// <summary>Parses a wire name.</summary>
    /// <exception cref="SpecValidationException">For <paramref name="field"/>, when the name is unknown.</exception>
    public static DatePart Parse(string name, string field)
    {
        foreach (var (part, wire) in Names)
            if (wire == name) return part;
        throw new SpecValidationException(field, $"{Contracts.Echo.Quote(name)} is not one of {string.Join(", ", Names.Select(n => n.Name))}");
    }

    /// <summary>The feature column of one part of <paramref name="column"/>.</summary>
    public static string ColumnName(string column, DatePart part) => $"{column}.{part.ToWireName()}";

    /// <summary>The expression that computes <paramref name="part"/>, with its input columns (the date, or its year, month and day).</summary>
    internal static (string Expression, string[] Inputs) Expression(string column, DatePart part)
    {
        // right(s, n) is s without its first n characters in ML.NET's expression language.
        const string missing = "single(na(1.0))";
        string Digits(int end, int start) => $"single(int(right(left(d, {end}), {start})))";
        string[] ymd = [ColumnName(column, DatePart.Year), ColumnName(column, DatePart.Month), ColumnName(column, DatePart.Day)];
        return part switch
        {
            DatePart.Year => ($"d => len(d) < 10 ? {missing} : {Digits(4, 0)}", [column]),
            DatePart.Month => ($"d => len(d) < 10 ? {missing} : {Digits(7, 5)}", [column]),
            DatePart.Day => ($"d => len(d) < 10 ? {missing} : {Digits(10, 8)}", [column]),
            DatePart.Hour => ($"d => len(d) < 10 ? {missing} : len(d) < 13 ? single(0) : {Digits(13, 11)}", [column]),
            // Sakamoto's method: January and February count as months of the year before.
            DatePart.DayOfWeek => ("(y, m, d) => (y - (m < 3 ? 1 : 0) + floor((y - (m < 3 ? 1 : 0)) / 4) - floor((y - (m < 3 ? 1 : 0)) / 100) " +
                "+ floor((y - (m < 3 ? 1 : 0)) / 400) + " + Table([0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]) + " + d) % 7", ymd),
            DatePart.DayOfYear => ("(y, m, d) => " + Table([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]) +
                " + d + (m > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0)", ymd),
            _ => throw new ArgumentOutOfRangeException(nameof(part)),
        };
    }

    /// <summary>A lookup by month as nested conditionals in parentheses: <c>(m == 1 ? t0 : m == 2 ? t1 : …)</c>.</summary>
    private static string Table(int[] values) =>
        "(" + string.Join(" : ", values.Take(11).Select((v, i) => $"m == {i + 1} ? {v}")) + $" : {values[11]})";
}
