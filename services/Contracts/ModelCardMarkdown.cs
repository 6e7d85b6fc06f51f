using System.Globalization;
using System.Text;

namespace Platform.Contracts;

/// <summary>
/// The section headings every model card uses, in order, whoever writes it: the worker for a trained version, the
/// model store for a version without a generated bundle (an uploaded model). Clients find a section by its heading
/// (<c>## Evaluation</c>), so both writers take the names from here.
/// </summary>
public static class ModelCardSections
{
    public const string ModelDetails = "Model details";
    public const string Data = "Data";
    public const string DataProfile = "Data profile";
    public const string Preparation = "Preparation";
    public const string Evaluation = "Evaluation";
    public const string FeatureImportance = "Feature importance";
    public const string IntendedUse = "Intended use";
    public const string Limitations = "Limitations";
    public const string Privacy = "Privacy";

    /// <summary>The default text of a field people fill in (<c>UpdateModelCard</c>).</summary>
    public const string NotFilledIn = "_Not filled in yet: whoever owns this model should write it (`UpdateModelCard`, or `platformctl models card-edit`)._";

    /// <summary>The default of the privacy notes people add under what the platform recorded.</summary>
    public const string NoPrivacyNotes = "_No privacy notes written by people yet (`UpdateModelCard`, or `platformctl models card-edit --privacy`)._";
}

/// <summary>
/// A card's Markdown as both writers produce it: <c>\n</c> line ends whatever the platform, tables with a header row,
/// cell text escaped so a <c>|</c> or a line break in a name never breaks a table, numbers in the invariant culture.
/// </summary>
public sealed class ModelCardMarkdown
{
    private readonly StringBuilder _text = new();

    public void Line(string text = "") => _text.Append(text).Append('\n');

    public void Heading(string title)
    {
        Line();
        Line("## " + title);
        Line();
    }

    public void SubHeading(string title)
    {
        Line();
        Line("### " + title);
        Line();
    }

    /// <summary>A picture of the bundle, linked relatively (<c>images/…</c>).</summary>
    public void Image(string alt, string fileName)
    {
        Line($"![{alt}]({ModelCardBundle.ImageFolder}{fileName})");
        Line();
    }

    public void Table(IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        Line("| " + string.Join(" | ", header) + " |");
        Line("|" + string.Concat(header.Select(_ => " --- |")));
        foreach (var row in rows) Line("| " + string.Join(" | ", row) + " |");
    }

    public override string ToString() => _text.ToString();

    /// <summary>
    /// Inline code that stays inside one table cell and shows the text as it is: fenced by one backtick more than its
    /// longest run of backticks (padded with a space where it starts or ends with one), <c>|</c> escaped for the table,
    /// line breaks shown as spaces. Markdown and HTML inside a code span are never interpreted (CommonMark), so an
    /// identifier or value from the data shows literally.
    /// </summary>
    public static string Code(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var content = OneLine(text).Replace("|", "\\|", StringComparison.Ordinal);
        var longest = 0;
        for (int i = 0, run = 0; i < content.Length; i++)
        {
            run = content[i] == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', longest + 1);
        var pad = content.StartsWith('`') || content.EndsWith('`') ? " " : "";
        return fence + pad + content + pad + fence;
    }

    /// <summary>
    /// Plain text that shows as written and stays inside one table cell or list item: <c>&amp;</c>, <c>&lt;</c> and
    /// <c>&gt;</c> become HTML entities (so no raw HTML such as <c>&lt;img onerror=…&gt;</c> reaches a renderer), Markdown's
    /// inline punctuation is backslash-escaped (<c>\ ` * _ [ ] ( ) ! | ~</c>, and <c>#</c>, <c>+</c>, <c>-</c>, <c>=</c> or a
    /// number and a dot where the text starts, which would begin a heading or a list), and line breaks become spaces.
    /// Entities and escapes render as the characters they stand for, so the reader sees the value unchanged.
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = OneLine(text);
        var escaped = new StringBuilder(line.Length + 16);
        foreach (var c in line)
        {
            switch (c)
            {
                case '&': escaped.Append("&amp;"); break;
                case '<': escaped.Append("&lt;"); break;
                case '>': escaped.Append("&gt;"); break;
                case '\\' or '`' or '*' or '_' or '[' or ']' or '(' or ')' or '!' or '|' or '~':
                    escaped.Append('\\').Append(c);
                    break;
                default: escaped.Append(c); break;
            }
        }
        if (escaped.Length > 0 && escaped[0] is '#' or '+' or '-' or '=')
            escaped.Insert(0, '\\');
        else if (LeadingOrderedMarker(escaped) is { } dot)
            escaped.Insert(dot, '\\');
        return escaped.ToString();
    }

    /// <summary>
    /// Markdown that people wrote (intended use, limitations, privacy notes): kept as Markdown, but raw HTML is shown as
    /// text (<c>&lt;</c> becomes <c>&amp;lt;</c>), so a card never carries markup a renderer would run.
    /// </summary>
    public static string WithoutHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        return markdown.Replace("<", "&lt;", StringComparison.Ordinal);
    }

    private static string OneLine(string text) =>
        text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ');

    /// <summary>Where "1." or "1)" would start an ordered list item: the index of the dot or parenthesis, else null.</summary>
    private static int? LeadingOrderedMarker(StringBuilder text)
    {
        var i = 0;
        while (i < text.Length && i < 9 && char.IsAsciiDigit(text[i])) i++;
        return i > 0 && i < text.Length && text[i] is '.' or ')' ? i : null;
    }

    public static string Number(double value) => double.IsNaN(value) ? "NaN" : value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A share (0 to 1) as a percentage with one decimal: <c>2.9 %</c>.</summary>
    public static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
