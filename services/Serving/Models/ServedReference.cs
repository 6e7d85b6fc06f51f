using Platform.ServiceDefaults.Errors;

namespace Platform.Serving.Models;

/// <summary>
/// A model reference as a prediction names it: <c>name</c> (the latest version), <c>name:version</c> (pinned) or
/// <c>name@alias</c>, optionally prefixed <c>models/</c>. The model store owns the grammar and checks it when it resolves
/// the reference; here a reference is only taken apart enough to know which registry events move it.
/// </summary>
internal sealed record ServedReference(string Text, string ModelName, string? Alias, bool Pinned)
{
    private const string Prefix = "models/";
    private const string Latest = "latest";

    /// <summary>The longest reference accepted (a model name and an alias are far shorter).</summary>
    public const int MaxLength = 300;

    /// <summary>Whether the version it names can change: an alias, or the latest version.</summary>
    public bool Moves => !Pinned;

    /// <summary>Takes a reference apart; the canonical text drops the prefix and <c>@latest</c>.</summary>
    public static ServedReference Parse(string? reference)
    {
        if (string.IsNullOrEmpty(reference))
            throw new InvalidArgumentException("model", "is required (\"name\", \"name:version\" or \"name@alias\")");
        if (reference.Length > MaxLength)
            throw new InvalidArgumentException("model", $"is {reference.Length} characters long; a reference is at most {MaxLength}");
        var text = reference.StartsWith(Prefix, StringComparison.Ordinal) ? reference[Prefix.Length..] : reference;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var name = text[..at];
            var alias = text[(at + 1)..];
            return alias == Latest ? new ServedReference(name, name, null, false) : new ServedReference(text, name, alias, false);
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 ? new ServedReference(text, text[..colon], null, true) : new ServedReference(text, text, null, false);
    }
}
