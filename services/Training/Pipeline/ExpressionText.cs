using System.Globalization;

namespace Platform.Training.Pipeline;

/// <summary>
/// Literals of ML.NET's expression language. The pipeline prefers expressions for fixed mappings
/// (the binary label, a fitted fill-in value): an expression is saved as its text, so identical models
/// get identical bytes, where a value map is saved as a table written by racing threads.
/// </summary>
internal static class ExpressionText
{
    /// <summary>A string literal (C#-style escapes).</summary>
    public static string String(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// A number literal that parses back to exactly <paramref name="value"/>: the float's exact value as the
    /// shortest round-trip text of a double, so parsing it either as a double or as a float gives the same float.
    /// </summary>
    public static string Number(float value) => ((double)value).ToString("R", CultureInfo.InvariantCulture);
}
