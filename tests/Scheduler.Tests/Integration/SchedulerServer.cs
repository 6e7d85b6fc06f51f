using System.Collections.Concurrent;
using Grpc.Net.Client;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.Jobs.V1;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Messaging;
using Platform.Testing;

namespace Platform.Scheduler.Tests.Integration;

/// <summary>
/// The scheduler host composed exactly as its Program.cs does (AddServiceDefaults, AddScheduler, AddMessaging,
/// MapScheduler) on a fresh PostgreSQL database (migrated at start-up) and a fresh RabbitMQ virtual host, serving
/// gRPC on a free loopback port. The model store is a fake; a fake worker on the same bus answers
/// <see cref="TrainModel"/> with Started, Progressed and Completed, as the real worker would.
/// </summary>
public sealed class SchedulerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private SchedulerServer(WebApplication app, string amqpUri, string databaseConnectionString)
    {
        _app = app;
        AmqpUri = amqpUri;
        DatabaseConnectionString = databaseConnectionString;
        Address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        // The gateway's way in: the service credential (and the tenant header, which the tests set per call).
        _channel = InternalCaller.Channel(Address);
        Jobs = new JobService.JobServiceClient(_channel);
    }

    public JobService.JobServiceClient Jobs { get; }

    /// <summary>The gRPC address, for clients of the test's own (for example with several HTTP/2 connections).</summary>
    public Uri Address { get; }

    public FakeModelStore ModelStore => _app.Services.GetRequiredService<FakeModelStore>();

    public FakeWorker.Log Worker => _app.Services.GetRequiredService<FakeWorker.Log>();

    /// <summary>The virtual host's amqp:// URI, for plain AMQP clients.</summary>
    public string AmqpUri { get; }

    public string DatabaseConnectionString { get; }

    /// <summary>The host's services (for tests that reach inside, such as the group commit's queue).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>A scheduler on a fresh database and virtual host; <paramref name="configure"/> may add to its services.</summary>
    public static async Task<SchedulerServer> StartAsync(PlatformServers servers, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        return await StartAsync(await servers.CreateDatabaseAsync("scheduler"), await servers.CreateVirtualHostAsync("scheduler"), configure);
    }

    /// <summary>Another replica: a scheduler on the given database and virtual host (see <see cref="DatabaseConnectionString"/>, <see cref="AmqpUri"/>).</summary>
    public static async Task<SchedulerServer> StartAsync(string database, string virtualHost, Action<IServiceCollection>? configure = null)
    {

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:BindAddress"] = "127.0.0.1",
            ["Platform:Ports:Grpc"] = "0",
            ["Platform:Ports:Http"] = "0",
            ["Database:Provider"] = "Postgres",
            ["Database:CreateOnStartup"] = "true",
            ["ConnectionStrings:Scheduler"] = database,
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = virtualHost,
            // Never called: the fake below replaces the client.
            ["Services:ModelStore"] = "http://127.0.0.1:9",
            [ServiceDefaults.Security.ServiceCredential.TokenKey] = InternalCaller.Token,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddScheduler();
        builder.AddMessaging(bus => bus.AddSchedulerConsumers(), bus => bus.AddConsumer<FakeWorker>());
        builder.Services.AddSingleton<FakeModelStore>();
        builder.Services.AddSingleton<DatasetService.DatasetServiceClient>(provider => provider.GetRequiredService<FakeModelStore>());
        builder.Services.AddSingleton<FakeWorker.Log>();
        // After the bus, so the first heartbeat finds it started.
        builder.Services.AddHostedService<FakeWorker.Heartbeat>();
        // Queues and exchanges must exist before a test publishes with a plain AMQP client.
        builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
        configure?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapScheduler();
        await app.StartAsync();
        return new SchedulerServer(app, virtualHost, database);
    }

    /// <summary>Polls ListJobs for the tenant's job with <paramref name="requestId"/> until it exists.</summary>
    public async Task<Job> WaitForJobAsync(string requestId, string tenantId, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            var found = await Jobs.ListJobsAsync(new ListJobsRequest { RequestId = requestId }, TenantHeaders(tenantId), cancellationToken: cancel.Token);
            if (found.Jobs.Count > 0) return found.Jobs.Single();
            await Task.Delay(100, cancel.Token);
        }
    }

    /// <summary>Watches the job to its end and returns every update.</summary>
    public async Task<List<JobUpdate>> WatchToEndAsync(string jobId, string tenantId, TimeSpan timeout)
    {
        using var call = Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, TenantHeaders(tenantId), DateTime.UtcNow + timeout);
        var updates = new List<JobUpdate>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) updates.Add(call.ResponseStream.Current);
        return updates;
    }

    /// <summary>
    /// Starts a <c>WatchJob</c> stream and returns once its first update (the job as it is when the watch begins) has
    /// arrived, so that everything after that is certain to come through the stream; the task returned reads to the end.
    /// </summary>
    public async Task<Task<List<JobUpdate>>> StartWatchAsync(string jobId, string tenantId, TimeSpan timeout)
    {
        var call = Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, TenantHeaders(tenantId), DateTime.UtcNow + timeout);
        var updates = new List<JobUpdate>();
        if (await call.ResponseStream.MoveNext(CancellationToken.None)) updates.Add(call.ResponseStream.Current);
        return ReadToEndAsync();

        async Task<List<JobUpdate>> ReadToEndAsync()
        {
            using (call)
                while (await call.ResponseStream.MoveNext(CancellationToken.None)) updates.Add(call.ResponseStream.Current);
            return updates;
        }
    }

    public static global::Grpc.Core.Metadata TenantHeaders(string tenantId) => new() { { "x-tenant-id", tenantId } };

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Plays the worker: answers each TrainModel with Started, two Progressed and Completed (unless told to stay silent).</summary>
public sealed class FakeWorker(FakeWorker.Log log) : IConsumer<TrainModel>
{
    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var command = context.Message;
        log.Received.Enqueue(command);
        if (!log.Answer) return;
        var at = DateTimeOffset.UtcNow;
        await context.Publish(new TrainingJobStarted(command.JobId, command.Attempt, "fake-worker-1", at));
        await context.Publish(new TrainingJobProgressed(command.JobId, command.Attempt, "training", 0.5, "training 50%", at.AddMilliseconds(1)));
        await context.Publish(new TrainingJobProgressed(command.JobId, command.Attempt, "evaluating", 1.0, "evaluated", at.AddMilliseconds(2)));
        await context.Publish(new TrainingJobCompleted
        {
            JobId = command.JobId,
            Attempt = command.Attempt,
            ModelName = command.ModelName,
            ModelVersion = 1,
            ModelSha256 = new string('c', 64),
            Metrics = new Dictionary<string, double> { ["accuracy"] = 0.98, ["macro_f1"] = 0.97 },
            TrainingSeconds = 0.1,
            Worker = "fake-worker-1",
            At = at.AddMilliseconds(3),
        });
    }

    public sealed class Log
    {
        public ConcurrentQueue<TrainModel> Received { get; } = new();

        public bool Answer { get; set; } = true;
    }

    /// <summary>Announces the fake worker's slots, as a real worker's heartbeat does, so the scheduler dispatches to it.</summary>
    public sealed class Heartbeat(IBus bus) : Microsoft.Extensions.Hosting.BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var client = bus.CreateRequestClient<WorkerHeartbeat>(TimeSpan.FromSeconds(5));
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await client.GetResponse<WorkerHeartbeatAcknowledged>(
                        new WorkerHeartbeat { Worker = "fake-worker-1", Capacity = 16, At = DateTimeOffset.UtcNow }, stoppingToken);
                }
                catch (RequestTimeoutException)
                {
                    // The scheduler is still starting; the next beat tries again.
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
