using System.Collections.Concurrent;
using Grpc.Core;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Platform.Contracts;
using Platform.Scheduler.Data;
using Platform.Scheduler.Grpc;
using Platform.Jobs.V1;
using Platform.Scheduler.Jobs;
using Platform.ServiceDefaults.Grpc;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Tests;

/// <summary>
/// The scheduler's services for unit tests: a temporary SQLite database, MassTransit's in-memory test harness
/// with the scheduler's consumers, a fake model store and a fake clock. Every message published on the bus is
/// recorded in <see cref="Published"/> at once (no waiting for the harness's inactivity timeout).
/// The supervisor does not run in the background: <see cref="SubmitAsync"/> and <see cref="DeliverAsync{T}"/> run
/// one pass afterwards, as the woken supervisor would, and tests call <see cref="SuperviseAsync"/> after moving
/// the clock. Unless told otherwise, one worker (<see cref="WorkerName"/>) with plenty of slots is connected.
/// </summary>
public sealed class SchedulerTestHost : IAsyncDisposable
{
    private readonly string _databasePath = Path.Combine(Path.GetTempPath(), $"scheduler-test-{Guid.NewGuid():N}.db");
    private readonly ServiceProvider _services;

    private SchedulerTestHost(Action<IServiceCollection>? configure)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<TimeProvider>(Clock);
        services.AddDbContext<SchedulerDbContext>(options => options.UseSqlite($"Data Source={_databasePath};Pooling=false"));
        services.AddSingleton<Datasets.V1.DatasetService.DatasetServiceClient>(ModelStore);
        services.AddOptions<SchedulerOptions>();
        services.AddSchedulerCore();
        services.AddScoped<JobGrpcService>();
        services.AddSingleton<JobSupervisor>();
        services.AddMassTransitTestHarness(bus => bus.AddSchedulerConsumers());
        configure?.Invoke(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    /// <summary>The worker connected at start.</summary>
    public const string WorkerName = "worker-1";

    /// <summary>Starts at a fixed instant; tests move it on explicitly.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2025, 1, 15, 9, 0, 0, TimeSpan.Zero));

    public FakeModelStore ModelStore { get; } = new();

    public ITestHarness Harness => _services.GetRequiredService<ITestHarness>();

    /// <summary>Every message published on the bus, in order.</summary>
    public ConcurrentQueue<object> Published { get; } = new();

    public IServiceProvider Services => _services;

    /// <summary>Creates the database, starts the bus and connects <see cref="WorkerName"/> with <paramref name="workerSlots"/> slots (none for 0).</summary>
    public static async Task<SchedulerTestHost> StartAsync(Action<IServiceCollection>? configure = null, int workerSlots = 100)
    {
        var host = new SchedulerTestHost(configure);
        await using (var scope = host._services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<SchedulerDbContext>().Database.EnsureCreatedAsync();
        await host.Harness.Start();
        host.Harness.Bus.ConnectPublishObserver(new PublishRecorder(host.Published));
        if (workerSlots > 0) await host.HeartbeatAsync(WorkerName, workerSlots);
        return host;
    }

    /// <summary>Sends a worker's heartbeat as the worker would (a request) and returns the scheduler's answer.</summary>
    public async Task<WorkerHeartbeatAcknowledged> HeartbeatAsync(string worker, int capacity, IReadOnlyList<RunningAttempt>? attempts = null, bool draining = false)
    {
        var client = Harness.Bus.CreateRequestClient<WorkerHeartbeat>(TimeSpan.FromSeconds(30));
        var response = await client.GetResponse<WorkerHeartbeatAcknowledged>(new WorkerHeartbeat
        {
            Worker = worker, Capacity = capacity, Draining = draining, Attempts = attempts ?? [], At = Clock.GetUtcNow(),
        });
        return response.Message;
    }

    /// <summary>Asks, as a worker about to register its model, whether the attempt may commit.</summary>
    public async Task<CommitDecision> AskToCommitAsync(Guid jobId, int attempt, string worker = WorkerName)
    {
        var client = Harness.Bus.CreateRequestClient<CommitAttempt>(TimeSpan.FromSeconds(30));
        return (await client.GetResponse<CommitDecision>(new CommitAttempt(jobId, attempt, worker))).Message;
    }

    /// <summary>One supervisor pass (leases, deadlines, dispatch); returns how many attempts were dispatched.</summary>
    public Task<int> SuperviseAsync() => _services.GetRequiredService<JobSupervisor>().SuperviseOnceAsync(CancellationToken.None);

    /// <summary>The <see cref="TrainModel"/> commands published so far for <paramref name="jobId"/>.</summary>
    public IReadOnlyList<TrainModel> DispatchesOf(string jobId) => [.. PublishedOf<TrainModel>().Where(c => c.JobId == Guid.Parse(jobId))];

    /// <summary>Published messages of type <typeparamref name="T"/>.</summary>
    public IReadOnlyList<T> PublishedOf<T>() => [.. Published.OfType<T>()];

    /// <summary>
    /// Calls a unary method of a fresh-scoped <see cref="JobGrpcService"/> through the real error-mapping
    /// interceptor, so failures surface as the <see cref="RpcException"/> a client would get.
    /// </summary>
    public async Task<TResponse> CallAsync<TRequest, TResponse>(
        Func<JobGrpcService, TRequest, ServerCallContext, Task<TResponse>> method, TRequest request, string tenantId = Tenant.Default)
        where TRequest : class
        where TResponse : class
    {
        await using var scope = _services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<JobGrpcService>();
        using var context = TestServerCallContext.ForTenant(tenantId);
        return await Interceptor.UnaryServerHandler(request, context, (r, c) => method(service, r, c));
    }

    public async Task<Job> SubmitAsync(SubmitJobRequest request, string tenantId = Tenant.Default)
    {
        var job = await CallAsync((s, r, c) => s.SubmitJob(r, c), request, tenantId);
        await SuperviseAsync();
        return job;
    }

    public Task<Job> CancelAsync(string jobId, string tenantId = Tenant.Default, string reason = "") =>
        CallAsync((s, r, c) => s.CancelJob(r, c), new CancelJobRequest { JobId = jobId, Reason = reason }, tenantId);

    public Task<Job> GetAsync(string jobId, string tenantId = Tenant.Default) =>
        CallAsync((s, r, c) => s.GetJob(r, c), new GetJobRequest { JobId = jobId }, tenantId);

    public Task<ListJobsResponse> ListAsync(ListJobsRequest request, string tenantId = Tenant.Default) =>
        CallAsync((s, r, c) => s.ListJobs(r, c), request, tenantId);

    /// <summary>
    /// Starts WatchJob in the background, through the interceptor. The returned task ends with the call;
    /// the writer yields the updates as they are written.
    /// </summary>
    public (Task Call, TestServerStreamWriter<JobUpdate> Updates) Watch(string jobId, TestServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var updates = new TestServerStreamWriter<JobUpdate>(context);
        var call = Task.Run(async () =>
        {
            try
            {
                await using var scope = _services.CreateAsyncScope();
                var service = scope.ServiceProvider.GetRequiredService<JobGrpcService>();
                await Interceptor.ServerStreamingServerHandler(new WatchJobRequest { JobId = jobId }, updates, context,
                    (r, w, c) => service.WatchJob(r, w, c));
            }
            finally
            {
                updates.Complete();
            }
        });
        return (call, updates);
    }

    private static ErrorMappingInterceptor Interceptor { get; } = new(NullLogger<ErrorMappingInterceptor>.Instance);

    /// <summary>Runs <paramref name="action"/> with a fresh DbContext.</summary>
    public async Task<T> QueryAsync<T>(Func<SchedulerDbContext, Task<T>> action)
    {
        await using var scope = _services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<SchedulerDbContext>());
    }

    /// <summary>Publishes <paramref name="message"/>, waits until the scheduler has consumed it, then runs a supervisor pass.</summary>
    public async Task DeliverAsync<T>(T message)
        where T : class
    {
        var messageId = NewId.NextGuid();
        await Harness.Bus.Publish(message, context => context.MessageId = messageId);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await Harness.Consumed.Any<T>(m => m.Context.MessageId == messageId, timeout.Token))
            timeout.Token.ThrowIfCancellationRequested();
        await SuperviseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Harness.Stop();
        await _services.DisposeAsync();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(_databasePath + suffix);
    }

    private sealed class PublishRecorder(ConcurrentQueue<object> published) : IPublishObserver
    {
        public Task PrePublish<T>(PublishContext<T> context)
            where T : class
        {
            published.Enqueue(context.Message);
            return Task.CompletedTask;
        }

        public Task PostPublish<T>(PublishContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception)
            where T : class => Task.CompletedTask;
    }
}
