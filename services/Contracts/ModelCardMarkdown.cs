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

    /// <summary>Inline code that stays inside one table cell.</summary>
    public static string Code(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "`" + text.Replace("`", "'", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal) + "`";
    }

    /// <summary>Plain text that stays inside one table cell.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
    }

    public static string Number(double value) => double.IsNaN(value) ? "NaN" : value.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A share (0 to 1) as a percentage with one decimal: <c>2.9 %</c>.</summary>
    public static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}
