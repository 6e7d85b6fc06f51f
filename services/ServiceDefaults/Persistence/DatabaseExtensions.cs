using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.Tls;

namespace Platform.ServiceDefaults.Persistence;

/// <summary>Which database engine a service's DbContext talks to.</summary>
public enum DatabaseProvider
{
    /// <summary>PostgreSQL through Npgsql: the production and integration-test setting.</summary>
    Postgres,
    /// <summary>A local SQLite file: the embedded standalone mode and unit tests.</summary>
    Sqlite,
}

public static class DatabaseExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TContext"/> on the engine named by <c>Database:Provider</c>
    /// (Postgres by default) with the connection string <c>ConnectionStrings:{name}</c>.
    /// Schema changes: PostgreSQL uses the service's migrations (the <c>migrate</c> command, a Helm hook);
    /// the embedded SQLite file is created from the model when <c>Database:CreateOnStartup</c> is true.
    /// TLS to PostgreSQL: <c>Database:Tls</c> (<see cref="ClientTls.ApplyToPostgres"/>).
    /// </summary>
    public static IHostApplicationBuilder AddPlatformDatabase<TContext>(this IHostApplicationBuilder builder, string name)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        var provider = builder.Configuration.GetValue("Database:Provider", DatabaseProvider.Postgres);
        var connectionString = builder.Configuration.GetConnectionString(name)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set (environment variable ConnectionStrings__{name}).");

        builder.Services.AddDbContext<TContext>(options =>
        {
            if (provider == DatabaseProvider.Sqlite)
                options.UseSqlite(connectionString);
            else
                options.UseNpgsql(ClientTls.ApplyToPostgres(connectionString, builder.Configuration), npgsql => npgsql.EnableRetryOnFailure(5));
        });
        builder.Services.AddSingleton<IDatabaseInitializer>(new DatabaseInitializer<TContext>(provider));
        if (builder.Configuration.GetValue("Database:CreateOnStartup", false))
            builder.Services.AddHostedService<DatabaseStartup>();
        return builder;
    }
}

/// <summary>Brings one service's database schema up to date.</summary>
public interface IDatabaseInitializer
{
    Task InitializeAsync(IServiceProvider services, CancellationToken cancellationToken);
}

internal sealed class DatabaseInitializer<TContext>(DatabaseProvider provider) : IDatabaseInitializer
    where TContext : DbContext
{
    public async Task InitializeAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        if (provider == DatabaseProvider.Sqlite)
        {
            await db.Database.EnsureCreatedAsync(cancellationToken);
            // WAL lets readers (watch streams) run while a writer commits.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        else
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
    }
}

internal sealed class DatabaseStartup(IServiceProvider services, IEnumerable<IDatabaseInitializer> initializers) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var initializer in initializers)
            await initializer.InitializeAsync(services, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
