using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts;
using Platform.ServiceDefaults.Messaging;

namespace Platform.Faults.Tests;

/// <summary>
/// Delivers messages twice on the real broker: a consumer on its own queue of a platform's virtual host receives
/// a copy of every <see cref="TrainModel"/> command and every worker report (started, completed, failed, released)
/// and publishes it again, with the same message id, as a broker redelivery or a publisher's retry would. Which
/// messages are doubled is decided by a seeded random source (<see cref="Probability"/>).
/// </summary>
public sealed class Duplicator : IAsyncDisposable
{
    private readonly IHost _host;

    private Duplicator(IHost host) => _host = host;

    /// <summary>What was delivered twice, by message type.</summary>
    public ConcurrentDictionary<string, int> Doubled => _host.Services.GetRequiredService<State>().Doubled;

    /// <summary>Starts doubling messages on the virtual host.</summary>
    /// <param name="rabbitMq">The platform's amqp:// URI.</param>
    /// <param name="probability">Share of messages to double.</param>
    /// <param name="seed">Seed of the choice.</param>
    public static async Task<Duplicator> StartAsync(string rabbitMq, double probability = 1, int seed = 1)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = rabbitMq,
        });
        builder.Services.AddSingleton(new State(probability, seed));
        builder.AddMessaging(bus => bus.AddConsumer<DuplicatingConsumer>());
        builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
        var host = builder.Build();
        await host.StartAsync();
        return new Duplicator(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    public sealed class State(double probability, int seed)
    {
        private readonly Random _random = new(seed);
        private readonly ConcurrentDictionary<Guid, bool> _seen = new();

        public ConcurrentDictionary<string, int> Doubled { get; } = new();

        /// <summary>True the first time a message id is seen and chosen: the copy comes back with the same id and is let be.</summary>
        public bool ShouldDouble(Guid? messageId)
        {
            if (messageId is not { } id || !_seen.TryAdd(id, true)) return false;
            lock (_random) return _random.NextDouble() < probability;
        }
    }

    public sealed class DuplicatingConsumer(State state) :
        IConsumer<TrainModel>, IConsumer<TrainingJobStarted>, IConsumer<TrainingJobCompleted>, IConsumer<TrainingJobFailed>, IConsumer<TrainingJobReleased>
    {
        public Task Consume(ConsumeContext<TrainModel> context) => DoubleAsync(context);

        public Task Consume(ConsumeContext<TrainingJobStarted> context) => DoubleAsync(context);

        public Task Consume(ConsumeContext<TrainingJobCompleted> context) => DoubleAsync(context);

        public Task Consume(ConsumeContext<TrainingJobFailed> context) => DoubleAsync(context);

        public Task Consume(ConsumeContext<TrainingJobReleased> context) => DoubleAsync(context);

        private async Task DoubleAsync<T>(ConsumeContext<T> context) where T : class
        {
            if (!state.ShouldDouble(context.MessageId)) return;
            await context.Publish(context.Message, copy => copy.MessageId = context.MessageId);
            state.Doubled.AddOrUpdate(typeof(T).Name, 1, (_, n) => n + 1);
        }
    }
}
