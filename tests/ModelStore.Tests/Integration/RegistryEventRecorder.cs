using System.Collections.Concurrent;
using MassTransit;
using Platform.Contracts;

namespace Platform.ModelStore.Tests.Integration;

/// <summary>
/// A subscriber of the registry events on a real RabbitMQ virtual host, as CI/CD or serving would subscribe: its own
/// queue bound to the three event exchanges. Records every delivery with its bus message id, duplicates included.
/// </summary>
internal sealed class RegistryEventRecorder : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly ConcurrentQueue<(Guid? MessageId, object Message)> _received = new();

    private RegistryEventRecorder(string amqpUri)
    {
        _bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(amqpUri));
            cfg.ReceiveEndpoint("registry-event-recorder", endpoint =>
            {
                endpoint.Handler<ModelVersionRegistered>(Record);
                endpoint.Handler<ModelAliasMoved>(Record);
                endpoint.Handler<ModelVersionDeleted>(Record);
            });
        });
    }

    /// <summary>Starts the subscriber; events published from now on are recorded.</summary>
    public static async Task<RegistryEventRecorder> StartAsync(string amqpUri)
    {
        var recorder = new RegistryEventRecorder(amqpUri);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await recorder._bus.StartAsync(timeout.Token);
        return recorder;
    }

    /// <summary>Every delivery so far, in arrival order.</summary>
    public IReadOnlyList<(Guid? MessageId, object Message)> Received => [.. _received];

    public IReadOnlyList<T> All<T>() => [.. _received.Select(r => r.Message).OfType<T>()];

    /// <summary>Waits until <paramref name="count"/> events of type <typeparamref name="T"/> have arrived (gives up after a generous while).</summary>
    public async Task<IReadOnlyList<T>> WaitForAsync<T>(int count = 1)
    {
        for (var i = 0; i < 600 && All<T>().Count < count; i++)
            await Task.Delay(100);
        var all = All<T>();
        Assert.True(all.Count >= count, $"expected {count} {typeof(T).Name} event(s), got {all.Count}");
        return all;
    }

    private Task Record<T>(ConsumeContext<T> context) where T : class
    {
        _received.Enqueue((context.MessageId, context.Message));
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
