using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Platform.Scheduler.Jobs;

namespace Platform.Scheduler.Data;

/// <summary>
/// The scheduler's store: <c>training_jobs</c>, <c>job_events</c>, <c>workers</c> and <c>sweeps</c>. The same model runs on PostgreSQL
/// (production, migrations in <c>Data/Migrations</c>) and SQLite (standalone, created from the model).
/// </summary>
public sealed class SchedulerDbContext(DbContextOptions<SchedulerDbContext> options) : DbContext(options)
{
    public DbSet<TrainingJob> TrainingJobs => Set<TrainingJob>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<Workers.ConnectedWorker> Workers => Set<Workers.ConnectedWorker>();
    public DbSet<Sweeps.Sweep> Sweeps => Set<Sweeps.Sweep>();

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        optionsBuilder.AddInterceptors(SqliteBusyTimeout.Instance);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SchedulerDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // SQLite cannot compare or ORDER BY DateTimeOffset; a UTC DateTime sorts correctly on both engines
        // (timestamptz on PostgreSQL, ISO-8601 text on SQLite).
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeConverter>();
    }

    /// <summary>
    /// Saves, adding the <see cref="JobEvent"/>s that tracked jobs appended since they were loaded, with times cut to what
    /// the database keeps (<see cref="KeepStoredPrecision"/>).
    /// </summary>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        AddUnsavedEvents();
        KeepStoredPrecision();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <inheritdoc cref="SaveChangesAsync(bool, CancellationToken)"/>
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        AddUnsavedEvents();
        KeepStoredPrecision();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    /// <summary>
    /// PostgreSQL keeps microseconds: the times of what is saved are cut to them first, so a saved object equals every later
    /// read of its row (the watch feed hands the jobs and events a commit saved to <c>WatchJob</c> as they are).
    /// </summary>
    private void KeepStoredPrecision()
    {
        if (!Database.IsNpgsql()) return;
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified)) continue;
            foreach (var property in entry.Properties)
            {
                if (property.CurrentValue is DateTimeOffset value && value.Ticks % TimeSpan.TicksPerMicrosecond != 0)
                    property.CurrentValue = value.AddTicks(-(value.Ticks % TimeSpan.TicksPerMicrosecond));
            }
        }
    }

    private void AddUnsavedEvents()
    {
        foreach (var job in ChangeTracker.Entries<TrainingJob>().Select(entry => entry.Entity).ToList())
            JobEvents.AddRange(job.TakeUnsavedEvents());
    }

    /// <summary>Stores a <see cref="DateTimeOffset"/> as the equivalent UTC <see cref="DateTime"/>.</summary>
    private sealed class UtcDateTimeConverter() : ValueConverter<DateTimeOffset, DateTime>(
        value => value.UtcDateTime,
        value => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)));
}
