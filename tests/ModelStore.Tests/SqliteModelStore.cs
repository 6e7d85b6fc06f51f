using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Events;
using Platform.ModelStore.Grpc;
using Platform.ModelStore.Maintenance;

namespace Platform.ModelStore.Tests;

/// <summary>
/// The store composed as the standalone host composes it (AddModelStore on a SQLite file and a blob folder in a fresh
/// temp folder), with a clock the test moves and MassTransit's in-memory test harness as the bus. The outbox publisher
/// and maintenance are switched off: tests drive them themselves. Each service instance gets its own scope,
/// like a request.
/// </summary>
internal sealed class SqliteModelStore : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly WebApplication _app;
    private readonly List<AsyncServiceScope> _scopes = [];

    /// <param name="settings">More configuration.</param>
    /// <param name="services">Replaces services after the store's own (for example a bus that fails).</param>
    public SqliteModelStore(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:ModelStore"] = $"Data Source={Path.Combine(_folder.Path, "model-store.db")}",
            ["BlobStore:Root"] = Path.Combine(_folder.Path, "blobs"),
            // Starting the test harness starts every hosted service: tests drive these two themselves.
            ["ModelStore:Outbox:Enabled"] = "false",
            ["ModelStore:Maintenance:Enabled"] = "false",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddModelStore();
        builder.Services.AddSingleton<TimeProvider>(Time);
        // Published messages are looked at after the fact: no need to wait long for more to come.
        builder.Services.AddMassTransitTestHarness(bus => bus.SetTestTimeouts(testInactivityTimeout: TimeSpan.FromSeconds(1)));
        services?.Invoke(builder.Services);
        _app = builder.Build();

        using var db = NewDbContext();
        db.Database.EnsureCreated();
        // As the standalone host's initializer sets it.
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
    }

    public BlobStore Blobs => _app.Services.GetRequiredService<BlobStore>();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 11, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The bus the outbox publishes to; start it before publishing.</summary>
    public ITestHarness Bus => _app.Services.GetRequiredService<ITestHarness>();

    public ModelStoreDbContext NewDbContext() => Scope().GetRequiredService<ModelStoreDbContext>();

    /// <summary>A service of the store (or a gRPC service class) in a fresh scope.</summary>
    public T Create<T>() where T : class => ActivatorUtilities.GetServiceOrCreateInstance<T>(Scope());

    public DatasetGrpcService Datasets() => Create<DatasetGrpcService>();

    public ModelGrpcService Models() => Create<ModelGrpcService>();

    public ModelRegistryGrpcService Registry() => Create<ModelRegistryGrpcService>();

    public StoreMaintenance Maintenance() => Create<StoreMaintenance>();

    public OutboxPublisher Publisher() =>
        ActivatorUtilities.CreateInstance<OutboxPublisher>(_app.Services);

    /// <summary>Blob files in the store (committed bytes).</summary>
    public int BlobFileCount => Directory.GetFiles(Path.Combine(Blobs.Root, "sha256"), "*", SearchOption.AllDirectories).Length;

    /// <summary>Files left in the upload temp folder.</summary>
    public int TempFileCount => Directory.GetFiles(Blobs.TempFolder).Length;

    private IServiceProvider Scope()
    {
        var scope = _app.Services.CreateAsyncScope();
        _scopes.Add(scope);
        return scope.ServiceProvider;
    }

    public void Dispose()
    {
        foreach (var scope in _scopes) scope.DisposeAsync().AsTask().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
