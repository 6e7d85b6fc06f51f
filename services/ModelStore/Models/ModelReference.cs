using System.Globalization;
using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore.Models;

/// <summary>
/// A reference to one version of a model, as clients, serving and the CLI write it:
/// <list type="bullet">
/// <item><c>penguins</c> or <c>penguins@latest</c>: the newest version;</item>
/// <item><c>penguins:3</c>: version 3;</item>
/// <item><c>penguins@production</c>: the version the alias <c>production</c> points at;</item>
/// </list>
/// each optionally prefixed with <c>models/</c> (<c>models/penguins@production</c>). Model names cannot contain
/// ':', '@' or '/', so the parts never blur.
/// </summary>
/// <param name="ModelName">The model.</param>
/// <param name="Version">The version number, or null when the reference names an alias or the latest version.</param>
/// <param name="Alias">The alias, or null when the reference names a number or the latest version.</param>
public sealed record ModelReference(string ModelName, int? Version, string? Alias)
{
    /// <summary>The optional prefix of a reference.</summary>
    public const string Prefix = "models/";

    /// <summary>Parses a reference, naming <paramref name="field"/> in any error.</summary>
    /// <exception cref="InvalidArgumentException">The text is not a reference.</exception>
    public static ModelReference Parse(string? reference, string field = "reference")
    {
        if (string.IsNullOrEmpty(reference))
            throw new InvalidArgumentException(field, "is required (\"name\", \"name:version\" or \"name@alias\")");
        var text = reference.StartsWith(Prefix, StringComparison.Ordinal) ? reference[Prefix.Length..] : reference;

        var at = text.IndexOf('@', StringComparison.Ordinal);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (at >= 0 && colon >= 0)
            throw Invalid(reference, field);
        if (at >= 0)
        {
            var alias = text[(at + 1)..];
            if (!AliasNames.IsWellFormed(alias))
                throw Invalid(reference, field);
            var name = ValidateName(text[..at], reference, field);
            return alias == AliasNames.Latest ? new ModelReference(name, null, null) : new ModelReference(name, null, alias);
        }
        if (colon >= 0)
        {
            var number = text[(colon + 1)..];
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
                throw Invalid(reference, field);
            return new ModelReference(ValidateName(text[..colon], reference, field), version, null);
        }
        return new ModelReference(ValidateName(text, reference, field), null, null);
    }

    /// <inheritdoc />
    public override string ToString() =>
        Version is { } number ? $"{ModelName}:{number}" : Alias is { } alias ? $"{ModelName}@{alias}" : ModelName;

    private static string ValidateName(string name, string reference, string field)
    {
        try
        {
            return ModelNames.Validate(name, field);
        }
        catch (InvalidArgumentException)
        {
            throw Invalid(reference, field);
        }
    }

    private static InvalidArgumentException Invalid(string reference, string field) =>
        new(field, $"{Echo.Quote(reference)} is not a model reference (\"name\", \"name:version\" or \"name@alias\", optionally prefixed \"{Prefix}\")");
}
