using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts;
using Platform.ServiceDefaults.Messaging;
using Platform.Serving.Data;

namespace Platform.Serving.Messaging;

/// <summary>
/// Publishes the serving service's outbox (<see cref="ServingOutboxMessage"/>, today only <see cref="ModelDriftDetected"/>)
/// in order, and marks each row sent once the broker took it; a failed publish stays pending and is retried with a
/// delay that doubles up to a minute. Delivery is at least once: the bus message id is the row's, so consumers can drop
/// a repeat (two replicas may both publish a row written moments before; drift events are rare enough that the model
/// store's row-claiming publisher is not worth repeating here).
/// </summary>
internal sealed class ServingOutboxPublisher(
    IServiceScopeFactory scopes, OutboxSignal<ServingDbContext> signal, TimeProvider time, ILogger<ServingOutboxPublisher> logger) : BackgroundService
{
    /// <summary>The contracts the outbox carries, by the type name each row stores.</summary>
    private static readonly Dictionary<string, Type> MessageTypes =
        new[] { typeof(ModelDriftDetected) }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PublishPendingAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Publishing the serving outbox failed; retrying");
            }
            await signal.WaitAsync(PollInterval, stoppingToken);
        }
    }

    /// <summary>Publishes the due rows; returns how many were published.</summary>
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ServingDbContext>();
        var bus = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        var now = time.GetUtcNow();
        var due = await db.OutboxMessages.Where(m => m.SentAt == null && m.NextAttemptAt <= now).OrderBy(m => m.Sequence).Take(100).ToListAsync(cancellationToken);
        var published = 0;
        foreach (var row in due)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PublishTimeout);
            try
            {
                var type = MessageTypes[row.MessageType];
                var message = JsonSerializer.Deserialize(row.Payload, type)
                              ?? throw new InvalidOperationException($"Outbox message {row.MessageId} has an empty payload.");
                await bus.Publish(message, type, context => context.MessageId = row.MessageId, timeout.Token);
                row.SentAt = time.GetUtcNow();
                row.LastError = null;
                published++;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                row.Attempts++;
                var delay = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, Math.Min(row.Attempts - 1, 30)), MaxRetryDelay.TotalSeconds));
                row.NextAttemptAt = time.GetUtcNow() + delay;
                row.LastError = ex.Message.Length > 1000 ? ex.Message[..1000] : ex.Message;
                logger.LogWarning("Could not publish {Type} {MessageId} (attempt {Attempt}): {Reason}; retrying in {Delay}",
                    row.MessageType, row.MessageId, row.Attempts, row.LastError, delay);
                break;
            }
        }
        await db.SaveChangesAsync(CancellationToken.None);
        return published;
    }
}
