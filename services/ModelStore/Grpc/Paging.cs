using System.Buffers.Text;
using System.Text;
using Platform.ServiceDefaults.Errors;

namespace Platform.ModelStore.Grpc;

/// <summary>
/// List paging: page sizes (default 50, at most 500) and opaque page tokens. A token is the position
/// after the last item returned (keyset paging), so rows added meanwhile never shift a page.
/// </summary>
internal static class Paging
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <summary>The page size to use: the default for 0, capped at the maximum.</summary>
    public static int Size(int requested, string field = "page_size") => requested switch
    {
        < 0 => throw new InvalidArgumentException(field, $"{requested} is negative"),
        0 => DefaultPageSize,
        > MaxPageSize => MaxPageSize,
        _ => requested,
    };

    /// <summary>Wraps a position into a token; clients treat it as opaque.</summary>
    public static string Token(string position) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(position));

    /// <summary>The position inside a token, or null when no token was given.</summary>
    public static string? Position(string? token, string field = "page_token")
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw Invalid(field);
        }
    }

    /// <summary>The error for a token this service did not issue.</summary>
    public static InvalidArgumentException Invalid(string field = "page_token") =>
        new(field, "is not a token from a previous response of this list");
}
