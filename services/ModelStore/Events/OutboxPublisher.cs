using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.ModelStore.Data;
using Platform.ServiceDefaults.Messaging;

namespace Platform.ModelStore.Events;

/// <summary>
/// Publishes the registry events in the outbox table to the bus in the order they were written, and marks them sent. An event whose
/// publish fails (the broker is down, or does not answer within <see cref="OutboxOptions.PublishTimeout"/>) stays
/// pending and is retried after a delay that doubles up to <see cref="OutboxOptions.MaxRetryDelay"/>; the round stops
/// there, since the rest would most likely fail the same way.
/// <para>
/// Delivery is at least once. A process that dies after the broker took an event but before the row is marked sent
/// publishes it again after restart; the bus message id is the row's <see cref="OutboxMessageRecord.MessageId"/>, so
/// consumers can recognise the repeat. Order: by <see cref="OutboxMessageRecord.Sequence"/>, which for one model is the
/// order its changes committed in; an event waiting for a retry is overtaken by later ones.
/// </para>
/// <para>
/// Replicas: on PostgreSQL each round claims its rows with <c>SELECT … FOR UPDATE SKIP LOCKED</c> inside a transaction
/// held until the rows are marked, so two replicas never publish the same row at once. SQLite (standalone mode) has
/// one process, whose single publisher reads the rows without a transaction so that publishing never holds the
/// database's write lock.
/// </para>
/// </summary>
public sealed class OutboxPublisher(
    IServiceScopeFactory scopes,
    OutboxSignal<ModelStoreDbContext> signal,
    IOptions<ModelStoreOptions> options,
    TimeProvider time,
    ILogger<OutboxPublisher> logger) : BackgroundService
{
    private OutboxOptions Options => options.Value.Outbox;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Enabled)
        {
            logger.LogInformation("Registry event publishing is disabled (ModelStore:Outbox:Enabled = false)");
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var published = 0;
            try
            {
                published = await PublishPendingAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be unreachable for a moment; the next round tries again.
                logger.LogWarning(ex, "Publishing registry events failed; retrying");
            }
            // A full batch means there may be more waiting: go on without a pause.
            if (published < Options.BatchSize)
                await signal.WaitAsync(Options.PollInterval, stoppingToken);
        }
    }

    /// <summary>Publishes one batch of due events; returns how many were published.</summary>
    public async Task<int> PublishPendingAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ModelStoreDbContext>();
        var bus = scope.ServiceProvider.GetService<IPublishEndpoint>()
                  ?? throw new InvalidOperationException(
                      "The model store publishes registry events but no bus is registered: call builder.AddMessaging().");

        if (!db.Database.IsNpgsql())
        {
            var due = await DueRows(db).ToListAsync(cancellationToken);
            var published = await PublishAsync(bus, due, cancellationToken);
            await db.SaveChangesAsync(CancellationToken.None);
            return published;
        }

        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = time.GetUtcNow().UtcDateTime;
            var claimed = await db.OutboxMessages
                .FromSql($"""
                    SELECT * FROM outbox_messages
                    WHERE sent_at IS NULL AND next_attempt_at <= {now}
                    ORDER BY sequence
                    LIMIT {Options.BatchSize}
                    FOR UPDATE SKIP LOCKED
                    """)
                .ToListAsync(ct);
            var published = await PublishAsync(bus, claimed, ct);
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
            return published;
        }, cancellationToken);
    }

    private IQueryable<OutboxMessageRecord> DueRows(ModelStoreDbContext db)
    {
        var now = time.GetUtcNow();
        return db.OutboxMessages
            .Where(m => m.SentAt == null && m.NextAttemptAt <= now)
            .OrderBy(m => m.Sequence)
            .Take(Options.BatchSize);
    }

    /// <summary>Publishes the rows in order and marks them (tracked changes, saved by the caller); stops at the first failure.</summary>
    private async Task<int> PublishAsync(IPublishEndpoint bus, IReadOnlyList<OutboxMessageRecord> rows, CancellationToken cancellationToken)
    {
        var published = 0;
        foreach (var row in rows.OrderBy(r => r.Sequence))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.PublishTimeout);
            try
            {
                var (message, type) = RegistryOutbox.Read(row);
                await bus.Publish(message, type, context => context.MessageId = row.MessageId, timeout.Token);
                row.SentAt = StoreTime.Now(time);
                row.LastError = null;
                published++;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                row.Attempts++;
                var delay = RetryDelay(row.Attempts);
                row.NextAttemptAt = StoreTime.Now(time) + delay;
                var reason = ex is OperationCanceledException ? $"no answer from the broker within {Options.PublishTimeout}" : ex.Message;
                row.LastError = reason.Length > 1000 ? reason[..1000] : reason;
                logger.LogWarning("Could not publish registry event {EventId} ({Type}, attempt {Attempt}): {Reason}; retrying in {Delay}",
                    row.MessageId, row.MessageType, row.Attempts, reason, delay);
                break;
            }
        }
        if (published > 0)
            logger.LogDebug("Published {Count} registry events", published);
        return published;
    }

    private TimeSpan RetryDelay(int attempts)
    {
        var seconds = Math.Pow(2, Math.Min(attempts - 1, 30));
        var delay = TimeSpan.FromSeconds(seconds);
        return delay < Options.MaxRetryDelay ? delay : Options.MaxRetryDelay;
    }
}
