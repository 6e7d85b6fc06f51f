namespace Platform.Contracts;

/// <summary>
/// How a model card travels between the worker that writes it and the model store that serves it (see
/// docs/model-cards.md). The card is one artifact of kind <see cref="ArtifactKind"/>: a zip holding
/// <see cref="MarkdownEntry"/> and its pictures under <see cref="ImageFolder"/>, which the Markdown links
/// relatively. Fields the worker cannot know (the version number) or that people fill in later (intended use,
/// limitations) sit between markers, <c>&lt;!-- card:intended_use --&gt;default&lt;!-- /card:intended_use --&gt;</c>,
/// and the store replaces what is between them when it serves the card. Not a bus message: the contract
/// between two services that lives here because both already reference this project.
/// </summary>
public static class ModelCardBundle
{
    public const string ArtifactKind = "model_card";
    public const string FileName = "model-card.zip";
    public const string MarkdownEntry = "card.md";
    public const string ImageFolder = "images/";

    /// <summary>The version number, known once the store registers the version.</summary>
    public const string VersionField = "version";
    /// <summary>What the model is for, written by people (<c>UpdateModelCard</c>).</summary>
    public const string IntendedUseField = "intended_use";
    /// <summary>Where the model should not be trusted, written by people (<c>UpdateModelCard</c>).</summary>
    public const string LimitationsField = "limitations";
    /// <summary>Privacy notes written by people (<c>UpdateModelCard</c>), at the end of the Privacy section.</summary>
    public const string PrivacyField = "privacy";

    public static string StartMarker(string field) => $"<!-- card:{field} -->";

    public static string EndMarker(string field) => $"<!-- /card:{field} -->";

    /// <summary><paramref name="text"/> between the field's markers.</summary>
    public static string Field(string field, string text) => StartMarker(field) + text + EndMarker(field);

    /// <summary>Replaces what is between the field's markers, everywhere it occurs; keeps the markers.</summary>
    public static string Fill(string markdown, string field, string text)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var start = StartMarker(field);
        var end = EndMarker(field);
        var output = new System.Text.StringBuilder(markdown.Length + text.Length);
        var position = 0;
        while (true)
        {
            var open = markdown.IndexOf(start, position, StringComparison.Ordinal);
            var close = open < 0 ? -1 : markdown.IndexOf(end, open + start.Length, StringComparison.Ordinal);
            if (close < 0) break;
            output.Append(markdown, position, open + start.Length - position).Append(text).Append(end);
            position = close + end.Length;
        }
        return output.Append(markdown, position, markdown.Length - position).ToString();
    }
}
