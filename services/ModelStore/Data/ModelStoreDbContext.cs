using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace Platform.ModelStore.Data;

/// <summary>
/// The model store's database: data sets and their profiles, models, model versions with their artifacts, tags and aliases, the
/// registry-event outbox and the erasure audit. The same model runs
/// on PostgreSQL (migrations in Data/Migrations) and on SQLite (standalone mode, created from the model),
/// so JSON lives in text columns and timestamps are stored as UTC date-times, which both engines can sort.
/// </summary>
public sealed class ModelStoreDbContext(DbContextOptions<ModelStoreDbContext> options) : DbContext(options)
{
    public DbSet<DatasetRecord> Datasets => Set<DatasetRecord>();
    public DbSet<DatasetProfileRecord> DatasetProfiles => Set<DatasetProfileRecord>();
    public DbSet<ModelRecord> Models => Set<ModelRecord>();
    public DbSet<ModelVersionRecord> ModelVersions => Set<ModelVersionRecord>();
    public DbSet<ArtifactRecord> Artifacts => Set<ArtifactRecord>();
    public DbSet<ModelVersionTagRecord> ModelVersionTags => Set<ModelVersionTagRecord>();
    public DbSet<ModelVersionMetricRecord> ModelVersionMetrics => Set<ModelVersionMetricRecord>();
    public DbSet<ModelAliasRecord> ModelAliases => Set<ModelAliasRecord>();
    public DbSet<OutboxMessageRecord> OutboxMessages => Set<OutboxMessageRecord>();
    public DbSet<DatasetErasureRecord> DatasetErasures => Set<DatasetErasureRecord>();
    public DbSet<ModelCards.ModelCardFieldsRecord> ModelCardFields => Set<ModelCards.ModelCardFieldsRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // SQLite cannot compare DateTimeOffset values in SQL; a UTC DateTime is `timestamptz` on PostgreSQL
        // and sortable ISO text on SQLite.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ModelStoreDbContext).Assembly);
        ApplySnakeCaseColumnNames(modelBuilder);
    }

    /// <summary>Tables are named in their configurations; columns, keys and indexes follow here, in snake_case.</summary>
    private static void ApplySnakeCaseColumnNames(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
                property.SetColumnName(ToSnakeCase(property.Name));
            foreach (var key in entity.GetKeys())
                key.SetName(ToSnakeCase(key.GetDefaultName()!));
            foreach (var foreignKey in entity.GetForeignKeys())
                foreignKey.SetConstraintName(ToSnakeCase(foreignKey.GetDefaultName()!));
            foreach (var index in entity.GetIndexes())
                index.SetDatabaseName(ToSnakeCase(index.GetDefaultDatabaseName()!));
        }
    }

    private static string ToSnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
