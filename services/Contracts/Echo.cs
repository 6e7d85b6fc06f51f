using System.Globalization;
using System.Text;

namespace Platform.Contracts;

/// <summary>
/// The one rule for echoing what a caller sent back in an error message or a log line: a value is cut to
/// <see cref="MaxValueLength"/> characters and a whole message to <see cref="MaxMessageLength"/>, saying how many
/// characters were cut, and line breaks and other control characters are written as escapes, so a 10 KB header or
/// hyperparameter neither comes back whole nor forges a log line. Every platform error type passes its message through
/// <see cref="Message"/>; messages quote values with <see cref="Quote"/>.
/// </summary>
public static class Echo
{
    /// <summary>Longest value echoed, in characters.</summary>
    public const int MaxValueLength = 200;

    /// <summary>Longest message, in characters.</summary>
    public const int MaxMessageLength = 2000;

    /// <summary>A value as echoed: control characters escaped, at most <see cref="MaxValueLength"/> characters kept.</summary>
    public static string Value(string? value) => Cut(value ?? "", MaxValueLength, escape: true);

    /// <summary><see cref="Value(string)"/> with a tighter limit, for an id echoed in a field of its own.</summary>
    public static string Value(string? value, int maxLength) => Cut(value ?? "", Math.Min(maxLength, MaxValueLength), escape: true);

    /// <summary><see cref="Value(string, int)"/>, or <c>null</c> for <c>null</c> (an optional id).</summary>
    public static string? ValueOrNull(string? value, int maxLength = MaxValueLength) => value is null ? null : Value(value, maxLength);

    /// <summary><see cref="Value"/> in single quotes, as messages quote what the caller sent: <c>'penguins'</c>.</summary>
    public static string Quote(string? value) => $"'{Value(value)}'";

    /// <summary><see cref="Quote(string)"/> of a value's invariant text (an id, a number, a character).</summary>
    public static string Quote(object? value) => Quote(Convert.ToString(value, CultureInfo.InvariantCulture));

    /// <summary>A whole message, at most <see cref="MaxMessageLength"/> characters kept (its own line breaks stay).</summary>
    public static string Message(string? message) => Cut(message ?? "", MaxMessageLength, escape: false);

    private static string Cut(string text, int max, bool escape)
    {
        var needsEscape = escape && text.Any(char.IsControl);
        if (text.Length <= max && !needsEscape) return text;
        var kept = text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)];
        var builder = new StringBuilder(kept.Length + 40);
        foreach (var c in kept)
        {
            if (!escape || !char.IsControl(c)) builder.Append(c);
            else builder.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            });
        }
        var cut = text.Length - kept.Length;
        if (cut > 0) builder.Append(CultureInfo.InvariantCulture, $"… ({cut} more characters)");
        return builder.ToString();
    }
}
