using System.Buffers;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Platform.Training.Data;

/// <summary>The one place that knows how the platform's CSV (and TSV) files are read and written.</summary>
internal static partial class CsvFormat
{
    public const char Separator = ',';
    public const char TabSeparator = '\t';
    private const char Quote = '"';
    private static readonly SearchValues<char> Special = SearchValues.Create(",\"\r\n");

    /// <summary>
    /// The loader saved with every model, so <c>MLContext.Model.LoadWithDataLoader</c> reads the same
    /// CSV layout: columns by position, numbers as Single (empty = NaN), everything else as text.
    /// Columns after the declared ones are ignored, which is why a predictions CSV loads too.
    /// With <paramref name="separator"/> a tab it reads TSV: no quoting, one line per row.
    /// </summary>
    public static TextLoader CreateLoader(MLContext ml, IReadOnlyList<DatasetColumn> columns, char separator = Separator) =>
        ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = [.. columns.Select((column, index) => new TextLoader.Column(
                column.Name, column.Kind == ColumnKind.Numeric ? DataKind.Single : DataKind.String, index))],
            HasHeader = true,
            Separators = [separator],
            AllowQuoting = separator == Separator,
            // RFC 4180 allows line breaks inside quoted fields.
            ReadMultilines = separator == Separator,
            MissingRealsAsNaNs = true,
        });

    /// <summary>Reads the header record of a CSV file (quoted names allowed, UTF-8 BOM skipped), or of a TSV file (no quoting).</summary>
    public static IReadOnlyList<string> ReadHeader(string path, char separator = Separator)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var names = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        while (true)
        {
            var next = reader.Read();
            if (next < 0) break;
            var c = (char)next;
            if (quoted)
            {
                if (c != Quote) field.Append(c);
                else if (reader.Peek() == Quote) field.Append((char)reader.Read());
                else quoted = false;
            }
            else if (c == Quote && separator == Separator) quoted = true;
            else if (c == separator) { names.Add(field.ToString()); field.Clear(); }
            else if (c is '\r' or '\n') break;
            else field.Append(c);
        }
        names.Add(field.ToString());
        return names;
    }

    /// <summary>
    /// Whether a text field would start a formula in a spreadsheet and so is written with a leading <c>'</c>
    /// (OWASP, "CSV Injection"): it starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return, or
    /// with <c>'</c> itself (so that the rule can be undone). A field that is a plain decimal number (<c>-1.5</c>,
    /// <c>+3</c>, <c>-2e-5</c>) is left alone: a spreadsheet reads it as that number, not as a formula. Undoing it: a text
    /// field that starts with <c>'</c> had one added; drop it. Numbers written as numbers are never changed.
    /// </summary>
    public static bool StartsFormula(ReadOnlySpan<char> value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\'' && !PlainNumber().IsMatch(value);

    [System.Text.RegularExpressions.GeneratedRegex(@"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")]
    private static partial System.Text.RegularExpressions.Regex PlainNumber();

    /// <summary>Whether a field must be quoted: it holds a separator, a quote or a line break, or starts or ends with white space (which a reader trims).</summary>
    public static bool NeedsQuotes(ReadOnlySpan<char> value) =>
        value.IndexOfAny(Special) >= 0 || (value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])));
}
