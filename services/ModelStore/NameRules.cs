using Platform.ServiceDefaults.Errors;
using Platform.Contracts;

namespace Platform.ModelStore;

/// <summary>Checks for names users give things. Names are metadata only: the store never builds a path from one.</summary>
internal static class NameRules
{
    /// <summary>
    /// A display or file name: 1 to <paramref name="maxLength"/> characters, no path separators, no <c>..</c>,
    /// no control characters, not only spaces. Rejecting these keeps names safe to show and to save under
    /// on a client's disk.
    /// </summary>
    public static string ValidateFileName(string? value, string field, int maxLength = 255)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidArgumentException(field, "is required");
        if (value.Length > maxLength)
            throw new InvalidArgumentException(field, $"is longer than {maxLength} characters");
        if (value.Contains('/') || value.Contains('\\'))
            throw new InvalidArgumentException(field, $"{Echo.Quote(value)} must not contain '/' or '\\'");
        if (value.Contains("..", StringComparison.Ordinal))
            throw new InvalidArgumentException(field, $"{Echo.Quote(value)} must not contain '..'");
        if (value.Any(char.IsControl))
            throw new InvalidArgumentException(field, "must not contain control characters");
        return value;
    }

    /// <summary>An optional SHA-256 as 64 hex digits; returns it in lower case, or null when empty.</summary>
    public static string? ValidateOptionalSha256(string? value, string field)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var lower = value.ToLowerInvariant();
        if (!Blobs.BlobStore.IsSha256(lower))
            throw new InvalidArgumentException(field, $"{Echo.Quote(value)} is not a SHA-256 (64 hex digits)");
        return lower;
    }

    /// <summary>A required SHA-256 as 64 hex digits, returned in lower case.</summary>
    public static string ValidateSha256(string? value, string field) =>
        ValidateOptionalSha256(value, field) ?? throw new InvalidArgumentException(field, "is required (64 hex digits)");
}
