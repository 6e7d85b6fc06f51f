using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Platform.Contracts;

namespace Platform.Training.Catalogue;

/// <summary>The value type of a hyperparameter. Values always travel as invariant-culture text.</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The members mirror the public API's type names int, double and bool.")]
public enum HyperparameterType
{
    /// <summary>A 32-bit integer; wire name <c>int</c>.</summary>
    Int,
    /// <summary>A finite floating-point number; wire name <c>double</c>.</summary>
    Double,
    /// <summary><c>true</c> or <c>false</c>; wire name <c>bool</c>.</summary>
    Bool,
}

/// <summary>One declared hyperparameter of a trainer.</summary>
/// <param name="Name">Snake-case name used in job specs, for example <c>learning_rate</c>.</param>
/// <param name="Type">Value type.</param>
/// <param name="DefaultValue">The value used when the spec leaves it out, as invariant text.</param>
/// <param name="Min">Inclusive lower bound for numbers; null when unbounded.</param>
/// <param name="Max">Inclusive upper bound for numbers; null when unbounded.</param>
/// <param name="Description">One line for humans.</param>
public sealed record HyperparameterDefinition(
    string Name, HyperparameterType Type, string DefaultValue, double? Min, double? Max, string Description)
{
    /// <summary>The wire name of <see cref="Type"/>: <c>int</c>, <c>double</c> or <c>bool</c>.</summary>
    public string TypeName => Type switch
    {
        HyperparameterType.Int => "int",
        HyperparameterType.Double => "double",
        _ => "bool",
    };

    /// <summary><see cref="Min"/> as invariant text, empty when unbounded (the public API's form).</summary>
    public string MinText => Format(Min);

    /// <summary><see cref="Max"/> as invariant text, empty when unbounded (the public API's form).</summary>
    public string MaxText => Format(Max);

    internal static HyperparameterDefinition Int(string name, int defaultValue, int min, int max, string description) =>
        new(name, HyperparameterType.Int, defaultValue.ToString(CultureInfo.InvariantCulture), min, max, description);

    internal static HyperparameterDefinition Double(string name, double defaultValue, double min, double max, string description) =>
        new(name, HyperparameterType.Double, defaultValue.ToString("R", CultureInfo.InvariantCulture), min, max, description);

    internal static HyperparameterDefinition Bool(string name, bool defaultValue, string description) =>
        new(name, HyperparameterType.Bool, defaultValue ? "true" : "false", null, null, description);

    /// <summary>
    /// Parses and range-checks <paramref name="text"/>, returning the value in its canonical text form
    /// (so "1e-1" and "0.10" are both recorded as "0.1").
    /// </summary>
    internal string Normalize(string? text)
    {
        var field = $"hyperparameters.{Name}";
        var trimmed = text?.Trim() ?? "";
        switch (Type)
        {
            case HyperparameterType.Int:
                if (!int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                    throw new SpecValidationException(field, $"{Echo.Quote(text)} is not an integer");
                CheckRange(field, integer, text);
                return integer.ToString(CultureInfo.InvariantCulture);
            case HyperparameterType.Double:
                if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                    throw new SpecValidationException(field, $"{Echo.Quote(text)} is not a number");
                CheckRange(field, number, text);
                return number.ToString("R", CultureInfo.InvariantCulture);
            default:
                if (!bool.TryParse(trimmed, out var flag))
                    throw new SpecValidationException(field, $"{Echo.Quote(text)} is not a boolean; expected true or false");
                return flag ? "true" : "false";
        }
    }

    private void CheckRange(string field, double value, string? text)
    {
        if ((Min is { } min && value < min) || (Max is { } max && value > max))
            throw new SpecValidationException(field, $"{text} is out of range; expected {RangeText()}");
    }

    private string RangeText() => (Min, Max) switch
    {
        ({ } min, { } max) => $"a value from {Format(min)} to {Format(max)}",
        ({ } min, null) => $"a value of at least {Format(min)}",
        (null, { } max) => $"a value of at most {Format(max)}",
        _ => "any value",
    };

    private static string Format(double? bound) => bound?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}
