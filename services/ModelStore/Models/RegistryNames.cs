using System.Text.RegularExpressions;
using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Models;

/// <summary>The rule for alias names: 1-63 of a-z, 0-9, '-' and '_', starting with a letter; "latest" is reserved.</summary>
public static partial class AliasNames
{
    /// <summary>Longest alias name.</summary>
    public const int MaxLength = 63;

    /// <summary>The reserved alias that always means the newest version (<c>penguins@latest</c>).</summary>
    public const string Latest = "latest";

    /// <summary>Whether <paramref name="alias"/> follows the pattern (the reserved name included).</summary>
    public static bool IsWellFormed(string? alias) => alias is not null && AliasPattern().IsMatch(alias);

    /// <summary>Returns <paramref name="alias"/> when it can be set as an alias, else throws naming <paramref name="field"/>.</summary>
    /// <exception cref="InvalidArgumentException">The name breaks the rule or is reserved.</exception>
    public static string Validate(string? alias, string field)
    {
        if (string.IsNullOrEmpty(alias))
            throw new InvalidArgumentException(field, "is required");
        if (!IsWellFormed(alias))
            throw new InvalidArgumentException(field,
                $"{Echo.Quote(alias)} is not a valid alias (1-{MaxLength} of a-z, 0-9, '-' or '_', starting with a letter, e.g. \"production\")");
        if (alias == Latest)
            throw new InvalidArgumentException(field, $"{Echo.Quote(Latest)} is reserved: it always means the newest version");
        return alias;
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,62}$")]
    private static partial Regex AliasPattern();
}

/// <summary>
/// Who made a change: the request's actor, which the gateway sets to the authenticated caller (docs/security.md);
/// only the platform's own services reach the store, so it is recorded as given.
/// </summary>
public static class Actors
{
    /// <summary>Longest actor name.</summary>
    public const int MaxLength = 200;

    /// <summary>The actor recorded for changes the store makes by itself (retention).</summary>
    public const string RetentionPolicy = "retention-policy";

    /// <summary>Returns the actor when given and printable, else throws naming <paramref name="field"/>.</summary>
    /// <exception cref="InvalidArgumentException">Missing, too long or with control characters.</exception>
    public static string Validate(string? actor, string field = "actor")
    {
        if (string.IsNullOrWhiteSpace(actor))
            throw new InvalidArgumentException(field, "is required (who makes the change, e.g. an e-mail address or a CI job)");
        return TextRules.Validate(actor, field, MaxLength);
    }
}

/// <summary>The rules for version tags: keys like <c>team</c> or <c>ci.run-id</c>, short printable values.</summary>
public static partial class Tags
{
    /// <summary>Longest tag key.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>Longest tag value.</summary>
    public const int MaxValueLength = 256;

    /// <summary>Most tags one version may have.</summary>
    public const int MaxPerVersion = 50;

    /// <summary>Returns <paramref name="key"/> when it is a valid tag key, else throws naming <paramref name="field"/>.</summary>
    /// <exception cref="InvalidArgumentException">The key breaks the rule.</exception>
    public static string ValidateKey(string? key, string field)
    {
        if (string.IsNullOrEmpty(key) || !KeyPattern().IsMatch(key))
            throw new InvalidArgumentException(field,
                $"{Echo.Quote(key)} is not a valid tag key (1-{MaxKeyLength} of letters, digits, '.', '_', '-', ':' or '/', starting with a letter or digit)");
        return key;
    }

    /// <summary>Returns <paramref name="value"/> when it is a valid tag value (possibly empty), else throws.</summary>
    /// <exception cref="InvalidArgumentException">Too long or with control characters.</exception>
    public static string ValidateValue(string? value, string field) => TextRules.Validate(value ?? "", field, MaxValueLength);

    /// <summary>Checks a whole set of tags given at registration or upload.</summary>
    /// <exception cref="InvalidArgumentException">A key or value breaks the rules, or there are too many.</exception>
    public static IReadOnlyDictionary<string, string> Validate(IEnumerable<KeyValuePair<string, string>> tags, string field)
    {
        var checkedTags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
            checkedTags[ValidateKey(key, $"{field}[{key}]")] = ValidateValue(value, $"{field}[{key}]");
        if (checkedTags.Count > MaxPerVersion)
            throw new InvalidArgumentException(field, $"has {checkedTags.Count} tags; a version has at most {MaxPerVersion}");
        return checkedTags;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")]
    private static partial Regex KeyPattern();
}

/// <summary>Checks for free text the store keeps and shows: bounded, no control characters except in long text.</summary>
internal static class TextRules
{
    /// <summary>
    /// Returns <paramref name="value"/> (empty when null) when it has at most <paramref name="maxLength"/> characters and no
    /// control characters (tabs and line breaks are allowed when <paramref name="multiline"/>), else throws naming <paramref name="field"/>.
    /// </summary>
    public static string Validate(string? value, string field, int maxLength, bool multiline = false)
    {
        value ??= "";
        if (value.Length > maxLength)
            throw new InvalidArgumentException(field, $"is longer than {maxLength} characters");
        foreach (var c in value)
        {
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
                throw new InvalidArgumentException(field, "must not contain control characters");
        }
        return value;
    }
}
