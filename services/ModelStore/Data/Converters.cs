using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Platform.ModelStore.Data;

/// <summary>Stores a <see cref="DateTimeOffset"/> as a UTC <see cref="DateTime"/>; reads it back as UTC.</summary>
public sealed class UtcDateTimeConverter() : ValueConverter<DateTimeOffset, DateTime>(
    value => value.UtcDateTime,
    value => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)));

/// <summary>Stores an enum as its member name in snake_case ("training_job"), readable in SQL and stable across reorderings.</summary>
public sealed class SnakeCaseEnumConverter<T>() : ValueConverter<T, string>(
    value => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString()),
    text => Enum.Parse<T>(text.Replace("_", "", StringComparison.Ordinal), true))
    where T : struct, Enum;

/// <summary>Stores a value as JSON text, so the same column works on PostgreSQL and SQLite.</summary>
public sealed class JsonTextConverter<T>() : ValueConverter<T, string>(
    value => JsonSerializer.Serialize(value, JsonText.Options),
    json => JsonSerializer.Deserialize<T>(json, JsonText.Options)!)
    where T : class;

/// <summary>Compares JSON-stored values by content, so in-place edits are seen by change tracking.</summary>
public sealed class JsonTextComparer<T>() : ValueComparer<T>(
    (left, right) => JsonSerializer.Serialize(left, JsonText.Options) == JsonSerializer.Serialize(right, JsonText.Options),
    value => JsonSerializer.Serialize(value, JsonText.Options).GetHashCode(StringComparison.Ordinal),
    value => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, JsonText.Options), JsonText.Options)!)
    where T : class;

/// <summary>The one JSON dialect of the store's text columns.</summary>
internal static class JsonText
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        // Metrics can be NaN or infinite (an AUC on a one-class holdout, for instance).
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
