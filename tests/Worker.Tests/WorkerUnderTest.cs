using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Worker.Lifecycle;

namespace Platform.Worker.Tests;

/// <summary>
/// A worker wired as in production (<c>AddWorker</c>, <c>AddWorkerConsumers</c>) on MassTransit's
/// in-memory test harness, talking gRPC to a <see cref="FakeModelStore"/>. Time is frozen, so
/// progress throttling lets exactly the stage changes through.
/// </summary>
internal sealed class WorkerUnderTest : IAsyncDisposable
{
    public const string WorkerName = "test-worker";

    private readonly IHost _host;

    private WorkerUnderTest(IHost host, FakeModelStore store, string scratch)
    {
        _host = host;
        Store = store;
        Scratch = scratch;
        Harness = host.Services.GetTestHarness();
    }

    /// <summary>What the scheduler's side of the lease protocol sees and answers (see <see cref="FakeScheduler"/>).</summary>
    public FakeScheduler.State Scheduler => _host.Services.GetRequiredService<FakeScheduler.State>();

    public AttemptRunner Runner => _host.Services.GetRequiredService<AttemptRunner>();

    public WorkerHeartbeatService Heartbeat => _host.Services.GetRequiredService<WorkerHeartbeatService>();

    public FakeTimeProvider Clock => (FakeTimeProvider)_host.Services.GetRequiredService<TimeProvider>();

    /// <summary>Stops the host as SIGTERM would (drain, grace period, hand-backs).</summary>
    public Task StopAsync() => _host.StopAsync();

    public FakeModelStore Store { get; }

    public ITestHarness Harness { get; }

    public string Scratch { get; }

    /// <param name="settings">More configuration.</param>
    /// <param name="byteStream">Point the worker at the fake store's byte stream too (<c>Services:ModelStoreTransfers</c>).</param>
    public static async Task<WorkerUnderTest> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, bool byteStream = false)
    {
        var store = await FakeModelStore.StartAsync();
        var scratch = Directory.CreateTempSubdirectory("platform-worker-tests-").FullName;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var logs = new LogCapture();
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:ModelStore"] = store.Address.ToString(),
            ["Authentication:ServiceToken"] = "worker-test-service-token-0123456789abcdef",
            ["Worker:ScratchDirectory"] = scratch,
            ["Worker:Name"] = WorkerName,
            ["Services:ModelStoreTransfers"] = byteStream ? store.TransfersAddress.ToString() : null,
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        builder.AddWorker();
        builder.Services.AddSingleton<FakeScheduler.State>();
        builder.Services.AddMassTransitTestHarness(bus =>
        {
            bus.AddWorkerConsumers();
            bus.AddConsumer<FakeScheduler.HeartbeatConsumer>();
            bus.AddConsumer<FakeScheduler.CommitConsumer>();
        });
        var host = builder.Build();
        await host.StartAsync();
        return new WorkerUnderTest(host, store, scratch) { Logs = logs };
    }

    /// <summary>Every line the worker logged, at every level, with its exception.</summary>
    public LogCapture Logs { get; private init; } = new();

    /// <summary>Penguins, owned by <paramref name="tenant"/>, with the column types the real store profiles.</summary>
    public Dataset AddPenguins(string tenant = "default") =>
        Store.Data.Add(tenant, "penguins.csv", File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "penguins.csv")),
            ("Species", ColumnType.Categorical), ("Island", ColumnType.Categorical), ("Beak Length (mm)", ColumnType.Numeric),
            ("Beak Depth (mm)", ColumnType.Numeric), ("Flipper Length (mm)", ColumnType.Numeric), ("Body Mass (g)", ColumnType.Numeric),
            ("Sex", ColumnType.Categorical));

    public static TrainModel Job(Dataset dataset, string label = "Species", string trainer = "lightgbm", IReadOnlyDictionary<string, string>? hyperparameters = null) => new()
    {
        JobId = Guid.NewGuid(),
        Attempt = 1,
        TenantId = dataset.TenantId,
        DatasetId = Guid.Parse(dataset.Id),
        Task = "multiclass_classification",
        LabelColumn = label,
        Trainer = trainer,
        Hyperparameters = hyperparameters ?? new Dictionary<string, string> { ["number_of_iterations"] = "10" },
        Seed = 42,
        ModelName = "penguins",
        HoldoutFraction = 0.2,
    };

    /// <summary>Publishes the job and returns every event the worker published for it, in order, once it has ended.</summary>
    public async Task<IReadOnlyList<object>> TrainAsync(TrainModel job)
    {
        await Harness.Bus.Publish(job);
        // Generous: on a loaded two-core CI machine the first training of a test run also pays for ML.NET's JIT.
        // A job that never ends still fails the test, naming what the worker said about it.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(6);
        while (!Events(job).Any(e => e is TrainingJobCompleted or TrainingJobFailed))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"job {job.JobId} did not end within 6 minutes; the worker published: " +
                    string.Join(", ", Events(job).Select(e => e.GetType().Name)));
            await Task.Delay(50);
        }
        await Harness.InactivityTask; // let anything still in flight arrive before taking the snapshot
        return Events(job);
    }

    /// <summary>Every event the worker has published so far for the job, in order.</summary>
    public List<object> Events(TrainModel job) =>
    [
        .. Harness.Published.Select(_ => true).Select(p => p.MessageObject).Where(m => m switch
        {
            TrainingJobStarted e => e.JobId == job.JobId,
            TrainingJobProgressed e => e.JobId == job.JobId,
            TrainingJobCompleted e => e.JobId == job.JobId,
            TrainingJobFailed e => e.JobId == job.JobId,
            TrainingJobReleased e => e.JobId == job.JobId,
            _ => false,
        }),
    ];

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await Store.DisposeAsync();
        Directory.Delete(Scratch, recursive: true);
    }
}

/// <summary>Keeps every log line written, formatted, for tests that check what is (and is not) logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    /// <summary>Everything logged so far, one entry per line: category, message, exception.</summary>
    public string Text => string.Join("\n", _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}
