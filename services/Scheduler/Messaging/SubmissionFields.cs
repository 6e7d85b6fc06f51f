using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Contracts;

namespace Platform.Scheduler.Messaging;

/// <summary>
/// Names what is wrong with a submission the way its sender wrote it: the JSON property path in the message
/// (<c>labelColumn</c>, <c>hyperparameters.learning_rate</c>, <c>preparation.columns[0].missingValues</c>), or
/// <c>body</c>; never a gRPC field or a .NET type.
/// </summary>
internal static partial class SubmissionFields
{
    /// <summary>The whole message: not JSON, or not a JSON object.</summary>
    public const string Body = "body";

    private const string SpecPrefix = "spec.";
    private const string HyperparametersPrefix = "hyperparameters.";

    /// <summary>What MassTransit's JSON options let through: trailing commas and comments.</summary>
    private static readonly JsonDocumentOptions ReadLikeTheDeserializer = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>
    /// The message's property for a field named as in the gRPC API: <c>spec.label_column</c> is <c>labelColumn</c>,
    /// <c>request_id</c> is <c>requestId</c>; hyperparameter names stay as written (they are the trainer's names).
    /// </summary>
    public static string FromApiField(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var path = field.StartsWith(SpecPrefix, StringComparison.Ordinal) ? field[SpecPrefix.Length..] : field;
        if (path.StartsWith(HyperparametersPrefix, StringComparison.Ordinal)) return path;
        return string.Join('.', path.Split('.').Select(CamelCase));
    }

    /// <summary>
    /// A validation message (<c>"spec.label_column: column 'x' is not ..."</c>) with the API's field names replaced by
    /// the message's: the one it starts with (<paramref name="field"/>) and any <c>spec.…</c> it mentions.
    /// </summary>
    public static string FromApiReason(string field, string reason)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(reason);
        if (reason.StartsWith(field + ": ", StringComparison.Ordinal))
            reason = FromApiField(field) + reason[field.Length..];
        return SpecFieldMention().Replace(reason, m => FromApiField(m.Value));
    }

    /// <summary>
    /// What is wrong with a body the deserializer could not read as a <see cref="SubmitTrainingJob"/>: which property
    /// and what JSON it should hold ("seed: expected an integer …, found a string"). Found by walking the body along
    /// the message's declared types, because the deserializer's own error names .NET types and, inside a dictionary,
    /// loses the path.
    /// </summary>
    public static (string Field, string Reason) DescribeUnreadable(JsonException error, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(error);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ReadLikeTheDeserializer);
        }
        catch (JsonException syntax)
        {
            var at = syntax.LineNumber is { } line ? $" (line {line + 1}, byte {syntax.BytePositionInLine + 1})" : "";
            return (Body, $"{Body}: not valid JSON{at}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (Body, $"{Body}: expected a JSON object, found {Describe(document.RootElement.ValueKind)}");
            if (FindMismatch(document.RootElement, typeof(SubmitTrainingJob), "") is { } mismatch)
                return mismatch;
        }
        // Nothing this walk knows of (the deserializer is stricter somewhere): name what it named, without its text.
        var field = string.IsNullOrEmpty(error.Path) || error.Path == "$" ? Body : error.Path.TrimStart('$', '.');
        return (field, $"{field}: is not a valid value here");
    }

    /// <summary>The first value under <paramref name="path"/> that <paramref name="type"/> cannot take, and why.</summary>
    private static (string Field, string Reason)? FindMismatch(JsonElement value, Type type, string path)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (value.ValueKind == JsonValueKind.Null && (underlying is not null || !type.IsValueType)) return null;
        type = underlying ?? type;
        if (!Fits(value, type)) return (path, $"{path}: expected {Describe(type)}, found {Describe(value.ValueKind)}");

        if (DictionaryValueType(type) is { } valueType)
            return value.EnumerateObject().Select(p => FindMismatch(p.Value, valueType, $"{path}.{p.Name}")).FirstOrDefault(m => m is not null);
        if (ElementType(type) is { } elementType)
            return value.EnumerateArray().Select((e, i) => FindMismatch(e, elementType, $"{path}[{i}]")).FirstOrDefault(m => m is not null);
        if (!IsObject(type)) return null;

        var contract = JsonSerializerOptions.Web.GetTypeInfo(type).Properties;
        var present = value.EnumerateObject().ToList();
        foreach (var property in contract)
        {
            var given = present.Where(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonProperty?)p).FirstOrDefault();
            if (given is not { } found)
            {
                if (property.IsRequired) return (Child(path, property.Name), $"{Child(path, property.Name)}: is required");
                continue;
            }
            if (FindMismatch(found.Value, property.PropertyType, Child(path, found.Name)) is { } mismatch) return mismatch;
        }
        return null;
    }

    private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>Whether the JSON value is of the kind the type takes (numbers also within its range).</summary>
    private static bool Fits(JsonElement value, Type type)
    {
        if (type == typeof(string)) return value.ValueKind == JsonValueKind.String;
        if (type == typeof(bool)) return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
        if (type == typeof(int)) return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _);
        if (type == typeof(long)) return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _);
        // The platform's serializer options also read "NaN" and "Infinity" as numbers (MessagingExtensions).
        if (type == typeof(double) || type == typeof(float))
            return value.ValueKind == JsonValueKind.Number || (value.ValueKind == JsonValueKind.String && value.GetString() is "NaN" or "Infinity" or "-Infinity");
        if (type == typeof(decimal)) return value.ValueKind == JsonValueKind.Number;
        if (DictionaryValueType(type) is not null) return value.ValueKind == JsonValueKind.Object;
        if (ElementType(type) is not null) return value.ValueKind == JsonValueKind.Array;
        return !IsObject(type) || value.ValueKind == JsonValueKind.Object;
    }

    /// <summary>"missing_values[0]" → "missingValues[0]".</summary>
    private static string CamelCase(string segment)
    {
        var index = segment.IndexOf('[', StringComparison.Ordinal);
        var (name, suffix) = index < 0 ? (segment, "") : (segment[..index], segment[index..]);
        var words = name.Split('_');
        return words[0] + string.Concat(words.Skip(1).Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..])) + suffix;
    }

    private static Type? DictionaryValueType(Type type) =>
        Interfaces(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))?.GetGenericArguments()[1];

    private static Type? ElementType(Type type) =>
        type == typeof(string) || DictionaryValueType(type) is not null
            ? null
            : Interfaces(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    private static IEnumerable<Type> Interfaces(Type type) => type.IsInterface ? type.GetInterfaces().Prepend(type) : type.GetInterfaces();

    private static bool IsObject(Type type) =>
        type.IsClass && type != typeof(string) && DictionaryValueType(type) is null && ElementType(type) is null;

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(int)) return "an integer from -2147483648 to 2147483647";
        if (type == typeof(long)) return "an integer";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (DictionaryValueType(type) is { } value) return $"an object whose values are {Plural(value)}";
        if (ElementType(type) is { } element) return $"an array of {Plural(element)}";
        return "an object";
    }

    private static string Plural(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "strings";
        if (type == typeof(bool)) return "true or false values";
        if (type == typeof(int) || type == typeof(long)) return "integers";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "numbers";
        return "objects";
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>An API field name mentioned in a validation message, not inside a quoted value.</summary>
    [GeneratedRegex(@"(?<!['\w.])spec\.[a-z0-9_]+(?:\[\d+\])?(?:\.[a-z0-9_]+(?:\[\d+\])?)*")]
    private static partial Regex SpecFieldMention();
}
