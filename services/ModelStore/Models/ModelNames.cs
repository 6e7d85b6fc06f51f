using System.Text.RegularExpressions;
using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Models;

/// <summary>The rule for model names: 1-100 letters, digits, '-', '_' and '.', without '..'.</summary>
public static partial class ModelNames
{
    /// <summary>Longest model name.</summary>
    public const int MaxLength = 100;

    /// <summary>Returns <paramref name="name"/> when it is a valid model name, else throws naming <paramref name="field"/>.</summary>
    /// <exception cref="InvalidArgumentException">The name breaks the rule.</exception>
    public static string Validate(string? name, string field)
    {
        if (string.IsNullOrEmpty(name))
            throw new InvalidArgumentException(field, "is required");
        if (name.Length > MaxLength || !NamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal))
            throw new InvalidArgumentException(field,
                $"{Echo.Quote(name)} is not a valid model name (1-{MaxLength} letters, digits, '-', '_' or '.', without '..')");
        return name;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex NamePattern();
}
