using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Platform.ModelStore.Blobs;
using Platform.ModelStore.Data;
using Platform.ModelStore.Grpc;
using Platform.ModelStore.Models;

namespace Platform.ModelStore.Tests;

/// <summary>
/// The store's service classes on a SQLite file and a blob folder in a fresh temp folder, as the standalone
/// host wires them, with a clock the test moves. Each service instance gets its own DbContext, like a request scope.
/// </summary>
internal sealed class SqliteModelStore : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly List<ModelStoreDbContext> _contexts = [];
    private readonly string _connectionString;

    public SqliteModelStore()
    {
        _connectionString = $"Data Source={Path.Combine(_folder.Path, "model-store.db")}";
        Blobs = new BlobStore(Path.Combine(_folder.Path, "blobs"));
        using var db = NewDbContext();
        db.Database.EnsureCreated();
        // As the standalone host's initializer sets it.
        db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
    }

    public BlobStore Blobs { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 11, 1, 12, 0, 0, TimeSpan.Zero));

    public ModelStoreDbContext NewDbContext()
    {
        var db = new ModelStoreDbContext(new DbContextOptionsBuilder<ModelStoreDbContext>().UseSqlite(_connectionString).Options);
        _contexts.Add(db);
        return db;
    }

    public DatasetGrpcService Datasets() => new(NewDbContext(), Blobs, Time, NullLogger<DatasetGrpcService>.Instance);

    public ModelGrpcService Models()
    {
        var db = NewDbContext();
        return new ModelGrpcService(db, new ModelVersionCatalog(db, Time), Blobs);
    }

    public ModelRegistryGrpcService Registry() =>
        new(new ModelVersionCatalog(NewDbContext(), Time), Blobs, NullLogger<ModelRegistryGrpcService>.Instance);

    /// <summary>Blob files in the store (committed bytes).</summary>
    public int BlobFileCount => Directory.GetFiles(Path.Combine(Blobs.Root, "sha256"), "*", SearchOption.AllDirectories).Length;

    /// <summary>Files left in the upload temp folder.</summary>
    public int TempFileCount => Directory.GetFiles(Blobs.TempFolder).Length;

    public void Dispose()
    {
        foreach (var db in _contexts) db.Dispose();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
