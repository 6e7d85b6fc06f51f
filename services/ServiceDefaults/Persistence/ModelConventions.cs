using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Platform.ServiceDefaults.Persistence;

/// <summary>Conventions a service's DbContext can share so one model runs on PostgreSQL and SQLite alike.</summary>
public static class ModelConventions
{
    /// <summary>Columns, keys and indexes in snake_case (tables are named in their configurations).</summary>
    public static void UseSnakeCaseNames(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
                property.SetColumnName(SnakeCase(property.Name));
            foreach (var key in entity.GetKeys())
                key.SetName(SnakeCase(key.GetDefaultName()!));
            foreach (var foreignKey in entity.GetForeignKeys())
                foreignKey.SetConstraintName(SnakeCase(foreignKey.GetDefaultName()!));
            foreach (var index in entity.GetIndexes())
                index.SetDatabaseName(SnakeCase(index.GetDefaultDatabaseName()!));
        }
    }

    /// <summary>
    /// <see cref="DateTimeOffset"/> stored as a UTC <see cref="DateTime"/>: <c>timestamptz</c> on PostgreSQL, sortable
    /// ISO text on SQLite (which cannot compare <see cref="DateTimeOffset"/> values in SQL).
    /// </summary>
    public static void StoreTimesAsUtc(this ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeConverter>();
    }

    private static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTimeOffset, DateTime>(
        value => value.UtcDateTime,
        value => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)));
}
