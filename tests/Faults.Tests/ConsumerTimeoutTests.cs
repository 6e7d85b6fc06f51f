using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts;
using Platform.Datasets.V1;
using Platform.ServiceDefaults.Messaging;
using Platform.Worker;
using Platform.Worker.Tests;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Platform.Faults.Tests;

/// <summary>
/// RabbitMQ requeues a delivery left unacknowledged past <c>consumer_timeout</c> and closes its channel. A
/// training longer than that must neither run twice nor stall the worker: the worker acknowledges the command
/// when the attempt starts and runs it under the scheduler's lease (docs/scheduling.md). Here the broker's timeout
/// is lowered to one second, a probe consumer that holds its delivery proves the timeout really fires, and the
/// worker's attempt outlives it.
/// </summary>
[Collection(nameof(ServersCollection))]
[Trait("Category", "Faults")]
public sealed class ConsumerTimeoutTests(FaultServers servers)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_job_longer_than_the_broker_consumer_timeout_runs_once_and_completes()
    {
        var virtualHost = await servers.Servers.CreateVirtualHostAsync("consumer-timeout");
        await using var lowered = await BrokerControl.LowerConsumerTimeoutAsync(servers, TimeSpan.FromSeconds(1));
        await using var store = await FakeModelStore.StartAsync();
        store.Data.DownloadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dataset = store.Data.Add("default", "penguins.csv", await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "data", "penguins.csv")),
            ("Species", ColumnType.Categorical), ("Island", ColumnType.Categorical), ("Beak Length (mm)", ColumnType.Numeric),
            ("Beak Depth (mm)", ColumnType.Numeric), ("Flipper Length (mm)", ColumnType.Numeric), ("Body Mass (g)", ColumnType.Numeric),
            ("Sex", ColumnType.Categorical));
        var scratch = Directory.CreateTempSubdirectory("platform-faults-").FullName;
        using var host = BuildWorker(virtualHost, store.Address, scratch);
        await host.StartAsync();
        try
        {
            var events = host.Services.GetRequiredService<EventLog>();
            var job = new TrainModel
            {
                JobId = Guid.NewGuid(), Attempt = 1, TenantId = "default", DatasetId = Guid.Parse(dataset.Id), Task = "multiclass_classification",
                LabelColumn = "Species", Trainer = "lightgbm", Hyperparameters = new Dictionary<string, string> { ["number_of_iterations"] = "10" },
                Seed = 1, ModelName = "penguins", HoldoutFraction = 0.2,
            };
            await host.Services.GetRequiredService<IBus>().Publish(job);
            using var timeout = new CancellationTokenSource(Patience);
            while (events.Started.IsEmpty) await Task.Delay(50, timeout.Token);

            // The attempt is running (held at its download). Prove that the broker's timeout fires meanwhile.
            await ProbeConsumerTimeoutAsync(virtualHost, timeout.Token);

            store.Data.DownloadGate.SetResult();
            while (events.Completed.IsEmpty && events.Failed.IsEmpty) await Task.Delay(50, timeout.Token);
            await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token); // a redelivery, if any, would show by now

            Assert.Equal(1, events.TrainModelDeliveries);
            Assert.Single(events.Started);
            Assert.Single(events.Completed);
            Assert.Empty(events.Failed);
            Assert.Single(store.Data.Registrations);
        }
        finally
        {
            await host.StopAsync();
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Holds one delivery without acknowledging it until the broker closes the channel for it.</summary>
    private static async Task ProbeConsumerTimeoutAsync(string virtualHost, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = new Uri(virtualHost) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var closed = new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, reason) =>
        {
            closed.TrySetResult(reason.ReplyCode);
            return Task.CompletedTask;
        };
        var queue = (await channel.QueueDeclareAsync("consumer-timeout-probe", durable: false, exclusive: false, autoDelete: false, cancellationToken: cancellationToken)).QueueName;
        await channel.BasicPublishAsync("", queue, "probe"u8.ToArray(), cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, _) => Task.CompletedTask; // never acknowledged
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);

        // 406 PRECONDITION_FAILED: "delivery acknowledgement on channel ... timed out".
        Assert.Equal(406, await closed.Task.WaitAsync(cancellationToken));
    }

    private static IHost BuildWorker(string virtualHost, Uri modelStore, string scratch)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = virtualHost,
            ["Services:ModelStore"] = modelStore.ToString(),
            [ServiceDefaults.Security.ServiceCredential.TokenKey] = InternalCaller.Token,
            ["Worker:Name"] = "faults-worker",
            ["Worker:ScratchDirectory"] = scratch,
        });
        builder.AddWorker();
        builder.Services.AddSingleton<FakeScheduler.State>();
        builder.Services.AddSingleton<EventLog>();
        builder.AddMessaging(bus =>
        {
            bus.AddWorkerConsumers();
            bus.AddConsumer<FakeScheduler.HeartbeatConsumer>();
            bus.AddConsumer<FakeScheduler.CommitConsumer>();
            bus.AddConsumer<EventLog.Recorder>();
        });
        builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
        var host = builder.Build();
        host.Services.GetRequiredService<IBus>().ConnectConsumeMessageObserver(host.Services.GetRequiredService<EventLog>());
        return host;
    }

    /// <summary>What the worker published, and how often the broker delivered it a TrainModel.</summary>
    private sealed class EventLog : IConsumeMessageObserver<TrainModel>
    {
        private int _deliveries;

        public ConcurrentQueue<TrainingJobStarted> Started { get; } = new();
        public ConcurrentQueue<TrainingJobCompleted> Completed { get; } = new();
        public ConcurrentQueue<TrainingJobFailed> Failed { get; } = new();
        public int TrainModelDeliveries => Volatile.Read(ref _deliveries);

        public Task PreConsume(ConsumeContext<TrainModel> context)
        {
            Interlocked.Increment(ref _deliveries);
            return Task.CompletedTask;
        }

        public Task PostConsume(ConsumeContext<TrainModel> context) => Task.CompletedTask;

        public Task ConsumeFault(ConsumeContext<TrainModel> context, Exception exception) => Task.CompletedTask;

        public sealed class Recorder(EventLog log) : IConsumer<TrainingJobStarted>, IConsumer<TrainingJobCompleted>, IConsumer<TrainingJobFailed>
        {
            public Task Consume(ConsumeContext<TrainingJobStarted> context)
            {
                log.Started.Enqueue(context.Message);
                return Task.CompletedTask;
            }

            public Task Consume(ConsumeContext<TrainingJobCompleted> context)
            {
                log.Completed.Enqueue(context.Message);
                return Task.CompletedTask;
            }

            public Task Consume(ConsumeContext<TrainingJobFailed> context)
            {
                log.Failed.Enqueue(context.Message);
                return Task.CompletedTask;
            }
        }
    }
}
